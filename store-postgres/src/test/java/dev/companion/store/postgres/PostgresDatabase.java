package dev.companion.store.postgres;

import dev.companion.store.postgres.PostgresConversationCatalog.Password;
import dev.companion.store.postgres.PostgresConversationCatalog.Settings;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A database of its own for one test class, on the JVM's {@link PostgresCluster}. Register it as a
 * static field with {@code @RegisterExtension}; it creates the database before the class's tests and
 * leaves it to the cluster's end. With {@link #migrated()} it also applies the store's migrations.
 */
public final class PostgresDatabase implements BeforeAllCallback {

    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final boolean migrate;
    private PostgresCluster cluster;
    private String name;

    private PostgresDatabase(boolean migrate) {
        this.migrate = migrate;
    }

    public static PostgresDatabase migrated() {
        return new PostgresDatabase(true);
    }

    public static PostgresDatabase empty() {
        return new PostgresDatabase(false);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws SQLException {
        cluster = PostgresCluster.shared();
        name = "t" + COUNTER.incrementAndGet() + "_"
                + context.getRequiredTestClass().getSimpleName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "_");
        try (Connection admin = connect("postgres"); Statement create = admin.createStatement()) {
            create.execute("CREATE DATABASE \"" + name + "\"");
        }
        if (migrate) {
            try (PostgresConversationCatalog catalog = PostgresConversationCatalog.open(settings())) {
                catalog.migrate();
            }
        }
    }

    public PostgresCluster cluster() {
        return cluster;
    }

    public String name() {
        return name;
    }

    /** Settings for this database, as a server would have them (a short connect timeout keeps outage tests quick). */
    public Settings settings() {
        return Settings.of("127.0.0.1", cluster.port(), name, PostgresCluster.SUPERUSER)
                .withPassword(Password.of(PostgresCluster.PASSWORD))
                .withConnectTimeout(Duration.ofSeconds(2));
    }

    /**
     * This database as a person names it to {@code --store}: {@code postgresql://127.0.0.1:PORT/NAME?user=USER},
     * no password in it (that goes in {@code PGPASSWORD} or a file: {@link PostgresCluster#PASSWORD}).
     */
    public String url() {
        return "postgresql://127.0.0.1:" + cluster.port() + "/" + name + "?user=" + PostgresCluster.SUPERUSER;
    }

    /** A plain connection to this database, for fixtures and for looking at what the store wrote. */
    public Connection connect() throws SQLException {
        return connect(name);
    }

    private Connection connect(String database) throws SQLException {
        Properties login = new Properties();
        login.setProperty("user", PostgresCluster.SUPERUSER);
        login.setProperty("password", PostgresCluster.PASSWORD);
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + cluster.port() + "/" + database, login);
    }

    /** Runs one statement of fixture SQL on this database. */
    public void execute(String sql) throws SQLException {
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
