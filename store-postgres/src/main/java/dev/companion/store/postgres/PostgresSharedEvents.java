package dev.companion.store.postgres;

import dev.companion.core.model.ConversationId;
import dev.companion.core.port.SharedEvents;
import org.postgresql.PGConnection;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The events table (migration V3) as the runtime's shared event log. An append takes the next id
 * from event_counter and NOTIFYs {@value #CHANNEL} in the same statement; one thread per server
 * holds a connection outside the pool that LISTENs, wakes the runtime on each notification (and
 * every {@link #POLL} regardless, in case one was missed), trims the table now and then, and
 * reconnects by itself when the database goes away and comes back.
 */
final class PostgresSharedEvents implements SharedEvents, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PostgresSharedEvents.class.getName());

    static final String CHANNEL = "companion_events";
    /** How long the listener waits for a notification before waking the runtime anyway. */
    static final Duration POLL = Duration.ofSeconds(1);
    /** How many events the table keeps, and for how long: enough for a reader that lost its connection. */
    static final long KEEP_EVENTS = 10_000;
    static final Duration KEEP_FOR = Duration.ofHours(1);
    private static final Duration TRIM_EVERY = Duration.ofSeconds(30);
    private static final Duration RECONNECT_BACKOFF_MAX = Duration.ofSeconds(5);

    private static final String APPEND = """
            WITH next AS (
                UPDATE event_counter SET last_id = last_id + 1 RETURNING last_id
            ), woken AS (
                SELECT pg_notify('companion_events', '') FROM next
            )
            INSERT INTO events (id, conversation_id, name, payload)
            SELECT next.last_id, ?, ?, ? FROM next, woken
            RETURNING id
            """;
    /**
     * The records after an id and the newest id, in one statement so both come from one snapshot: read
     * apart, a record committed in between would look like a gap.
     */
    private static final String AFTER = """
            SELECT c.last_id, e.id, e.conversation_id, e.name, e.payload
              FROM event_counter c
              LEFT JOIN LATERAL (
                   SELECT id, conversation_id, name, payload FROM events WHERE id > ? ORDER BY id LIMIT ?
              ) e ON true
             ORDER BY e.id
            """;
    private static final String NEWEST = """
            SELECT c.last_id, e.id, e.conversation_id, e.name, e.payload
              FROM event_counter c
              LEFT JOIN LATERAL (
                   SELECT id, conversation_id, name, payload FROM events ORDER BY id DESC LIMIT ?
              ) e ON true
             ORDER BY e.id
            """;
    private static final String TRIM = """
            DELETE FROM events
             WHERE id <= (SELECT last_id FROM event_counter) - ?
                OR created_at < clock_timestamp() - ? * interval '1 millisecond'
            """;

    private final Database database;
    /** Called when a server asks for a cancel ({@value PostgresTurnLeases#TURNS_CHANNEL}). */
    private volatile Runnable turnNotice = () -> { };
    private volatile boolean closed;
    private volatile Thread listener;
    private volatile Connection listening;

    PostgresSharedEvents(Database database) {
        this.database = database;
    }

    @Override
    public long append(ConversationId conversation, String name, String payload) {
        String storable = Storable.text(payload);
        return database.write(connection -> {
            try (PreparedStatement insert = connection.prepareStatement(APPEND)) {
                insert.setString(1, conversation.value());
                insert.setString(2, name);
                insert.setString(3, storable);
                try (ResultSet row = insert.executeQuery()) {
                    row.next();
                    return row.getLong(1);
                }
            }
        });
    }

    @Override
    public Page after(long id, int max) {
        return database.read(connection -> {
            try (PreparedStatement select = connection.prepareStatement(AFTER)) {
                select.setLong(1, id);
                select.setInt(2, max);
                return page(select, id);
            }
        });
    }

    @Override
    public Page newest(int max) {
        return database.read(connection -> {
            try (PreparedStatement select = connection.prepareStatement(NEWEST)) {
                select.setInt(1, max);
                return page(select, -1);
            }
        });
    }

    /** The rows of {@link #AFTER} or {@link #NEWEST}; {@code after} -1: no gap to look for. */
    private static Page page(PreparedStatement select, long after) throws SQLException {
        List<Record> records = new ArrayList<>();
        long latest = 0;
        try (ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                latest = rows.getLong(1);
                rows.getLong(2);
                if (!rows.wasNull()) {
                    records.add(new Record(rows.getLong(2), new ConversationId(rows.getString(3)), rows.getString(4),
                            rows.getString(5)));
                }
            }
        }
        boolean gap = after >= 0 && (records.isEmpty() ? after != latest : records.get(0).id() != after + 1);
        return new Page(records, gap, latest);
    }

    @Override
    public synchronized void listen(Runnable wake) {
        if (listener != null) {
            throw new IllegalStateException("already listening");
        }
        Thread thread = new Thread(() -> listenUntilClosed(wake), "companion-events-listen");
        thread.setDaemon(true);
        listener = thread;
        thread.start();
    }

    private void listenUntilClosed(Runnable wake) {
        long backoffMillis = 100;
        long nextTrim = System.nanoTime();
        while (!closed) {
            try (Connection connection = database.dedicatedConnection()) {
                listening = connection;
                try (Statement statement = connection.createStatement()) {
                    statement.execute("LISTEN " + CHANNEL);
                    statement.execute("LISTEN " + PostgresTurnLeases.TURNS_CHANNEL);
                }
                backoffMillis = 100;
                wake.run(); // what was appended while this server was not listening
                PGConnection notifications = connection.unwrap(PGConnection.class);
                while (!closed) {
                    org.postgresql.PGNotification[] received = notifications.getNotifications((int) POLL.toMillis());
                    if (received != null) {
                        for (org.postgresql.PGNotification notification : received) {
                            if (PostgresTurnLeases.TURNS_CHANNEL.equals(notification.getName())) {
                                turnNotice.run();
                                break;
                            }
                        }
                    }
                    wake.run();
                    if (System.nanoTime() - nextTrim >= 0) {
                        trim(connection);
                        nextTrim = System.nanoTime() + TRIM_EVERY.toNanos();
                    }
                }
            } catch (SQLException | RuntimeException e) {
                if (closed) {
                    return;
                }
                LOG.log(Level.FINE, "the events listener lost its connection; it reconnects", e);
            } finally {
                listening = null;
            }
            synchronized (this) {
                try {
                    wait(backoffMillis); // a pause before reconnecting, cut short by close()
                } catch (InterruptedException e) {
                    return;
                }
            }
            backoffMillis = Math.min(RECONNECT_BACKOFF_MAX.toMillis(), backoffMillis * 2);
        }
    }

    private static void trim(Connection connection) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement(TRIM)) {
            delete.setLong(1, KEEP_EVENTS);
            delete.setLong(2, KEEP_FOR.toMillis());
            delete.executeUpdate();
        }
    }

    /** What to do when another server asks for a cancel: the leases renew at once and see it. */
    void onTurnNotice(Runnable notice) {
        this.turnNotice = notice;
    }

    /** Whether the listener holds its connection now: for tests that cut the database. */
    boolean listening() {
        return listening != null;
    }

    @Override
    public void close() {
        closed = true;
        synchronized (this) {
            notifyAll();
        }
        Connection connection = listening;
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // closing anyway
            }
        }
        Thread thread = listener;
        if (thread != null) {
            try {
                thread.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
