package dev.companion.store.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.companion.store.postgres.Failures.Access;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Properties;

/**
 * The connection pool and the three ways the store uses it: a read (retried once on a fresh
 * connection when the one it had was lost), a write (never retried: it may have committed), and a
 * transaction. Every failure leaves as a {@link dev.companion.core.port.StorageException}.
 */
final class Database implements AutoCloseable {

    /** Work done on one connection. */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /** No statement the store runs takes this long; a connection silent for longer is broken. */
    private static final Duration SOCKET_TIMEOUT = Duration.ofMinutes(2);

    /**
     * After the pool could not give a connection (it waited the whole connect timeout), work that
     * comes within this long fails at once with the same failure instead of waiting that long again:
     * a turn caught by an outage makes several store calls in a row (the reply, the lease, its
     * events), and each one waited out the timeout, so the turn took half a minute to end. Short
     * enough that a heartbeat (a third of a lease of at least a second) always tries for real.
     */
    private static final long AWAY_NANOS = Duration.ofMillis(250).toNanos();

    private final HikariDataSource pool;
    private final PostgresConversationCatalog.Settings settings;
    /** The last failure to get a connection, while it is recent enough to repeat; null otherwise. */
    private volatile Away away;

    private record Away(SQLException failure, long untilNanos) {
    }

    private Database(HikariDataSource pool, PostgresConversationCatalog.Settings settings) {
        this.pool = pool;
        this.settings = settings;
    }

    /**
     * A connection of its own, outside the pool, for what holds one for long (LISTEN). The caller
     * closes it.
     */
    Connection dedicatedConnection() throws SQLException {
        Properties properties = driverProperties(settings, "companion-listen");
        properties.setProperty("user", settings.user());
        settings.password().ifPresent(password -> properties.setProperty("password", password.reveal()));
        return new org.postgresql.Driver().connect(pool.getJdbcUrl(), properties);
    }

    /** What the driver is told for every connection, pooled or not: TLS, time limits, keep-alive, a name. */
    private static Properties driverProperties(PostgresConversationCatalog.Settings settings, String applicationName) {
        Properties properties = new Properties();
        settings.sslMode().ifPresent(mode -> properties.setProperty("sslmode", mode));
        long connectSeconds = Math.max(1, (settings.connectTimeout().toMillis() + 999) / 1000);
        properties.setProperty("connectTimeout", Long.toString(connectSeconds));
        properties.setProperty("socketTimeout", Long.toString(SOCKET_TIMEOUT.toSeconds()));
        properties.setProperty("tcpKeepAlive", "true");
        properties.setProperty("ApplicationName", applicationName);
        return properties;
    }

    /** Opens the pool and makes the first connection, so an unreachable database fails here, typed. */
    static Database open(PostgresConversationCatalog.Settings settings) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("companion-postgres");
        config.setJdbcUrl("jdbc:postgresql://" + settings.host() + ":" + settings.port() + "/"
                + URLEncoder.encode(settings.database(), StandardCharsets.UTF_8));
        config.setUsername(settings.user());
        settings.password().ifPresent(password -> config.setPassword(password.reveal()));
        config.setDataSourceProperties(driverProperties(settings, "companion"));
        config.setMaximumPoolSize(settings.maximumPoolSize());
        config.setMinimumIdle(Math.min(2, settings.maximumPoolSize()));
        long connectMillis = settings.connectTimeout().toMillis();
        config.setConnectionTimeout(connectMillis);
        config.setValidationTimeout(Math.min(connectMillis, 5_000));
        config.setInitializationFailTimeout(connectMillis);
        config.setAutoCommit(true);
        try {
            return new Database(new HikariDataSource(config), settings);
        } catch (RuntimeException e) {
            // HikariPool.PoolInitializationException carries the driver's SQLException as its cause.
            throw Failures.translate(e, Access.READ);
        }
    }

    javax.sql.DataSource dataSource() {
        return pool;
    }

    <T> T read(Work<T> work) {
        try {
            return once(work);
        } catch (SQLException first) {
            if (!Failures.connectionLost(first)) {
                throw Failures.translate(first, Access.READ);
            }
            // The pool evicts the broken connection; a database that came back answers on a new one.
            try {
                return once(work);
            } catch (SQLException second) {
                throw Failures.translate(second, Access.READ);
            }
        }
    }

    <T> T write(Work<T> work) {
        try {
            return once(work);
        } catch (SQLException e) {
            throw Failures.translate(e, Access.WRITE);
        }
    }

    /**
     * Runs {@code work} in one transaction: committed when it returns, rolled back when it throws
     * anything. The pool puts auto-commit back when the connection returns to it.
     */
    <T> T transaction(Work<T> work) {
        try (Connection connection = connection()) {
            connection.setAutoCommit(false);
            try {
                T result = work.run(connection);
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(connection, e);
                throw e;
            }
        } catch (SQLException e) {
            throw Failures.translate(e, Access.WRITE);
        }
    }

    private <T> T once(Work<T> work) throws SQLException {
        try (Connection connection = connection()) {
            return work.run(connection);
        }
    }

    /** A pooled connection, or at once the failure to get one a moment ago (see {@link #AWAY_NANOS}). */
    private Connection connection() throws SQLException {
        Away recent = away;
        if (recent != null && System.nanoTime() - recent.untilNanos() < 0) {
            // A new exception each time (a shared one would collect suppressed ones), with the
            // original as its cause, so that it reads the same: unreachable, refused password, ...
            throw new SQLTransientConnectionException("no connection to the database a moment ago", "08001",
                    recent.failure());
        }
        try {
            Connection connection = pool.getConnection();
            away = null;
            return connection;
        } catch (SQLException e) {
            if (Failures.connectionFailed(e)) {
                away = new Away(e, System.nanoTime() + AWAY_NANOS);
            }
            throw e;
        }
    }

    private static void rollbackQuietly(Connection connection, Exception failure) {
        try {
            connection.rollback();
        } catch (SQLException rollback) {
            failure.addSuppressed(rollback);
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
