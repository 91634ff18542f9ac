package dev.companion.store.postgres;

import dev.companion.core.model.ConversationId;
import dev.companion.core.model.TranscriptEntry;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.port.ConversationCatalog;
import dev.companion.core.port.StorageException;
import dev.companion.core.port.StoredConversation;
import dev.companion.core.port.TranscriptStore;
import dev.companion.core.port.TurnLeases;
import dev.companion.core.port.SharedEvents;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.output.MigrateResult;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The one public entry of the PostgreSQL store: conversations and their transcripts in one
 * PostgreSQL database that several Companion servers can share. Every change is committed before
 * the call returns; each server has its own connection pool, and nothing is cached but the
 * transcript objects themselves, so a server sees what another wrote at once.
 *
 * <pre>{@code
 * var settings = PostgresConversationCatalog.Settings.fromUrl("postgresql://db.internal:5432/companion?user=companion")
 *         .withPassword(PostgresConversationCatalog.Password.fromFile(Path.of("/run/secrets/pg")));
 * try (var catalog = PostgresConversationCatalog.open(settings)) {
 *     catalog.migrate();
 *     ...
 * }
 * }</pre>
 *
 * <p>Failures are {@link StorageException}s: {@code store_unavailable} when the database cannot be
 * reached or refuses the credentials (the pool reconnects by itself once it is back),
 * {@code store_schema_outdated} before {@link #migrate()} has been run, and the usual
 * {@code storage_write_failed} / {@code storage_read_failed} otherwise. No message names the host or
 * the password.
 */
public final class PostgresConversationCatalog implements ConversationCatalog {

    /** Flyway's record of the applied migrations; not Flyway's default name, so a host's own migrations can share the schema. */
    static final String HISTORY_TABLE = "companion_schema_history";
    static final String MIGRATIONS = "classpath:dev/companion/store/postgres/migration";

    private static final String CONVERSATION_COLUMNS = "id, title, created_at, created_at_nanos";

    private final Database database;
    private final Clock clock;
    private final Map<ConversationId, PostgresTranscriptStore> transcripts = new HashMap<>();
    private boolean closed;
    private PostgresTurnLeases leases;
    private PostgresSharedEvents events;

    /** How long a server's claim on a running turn lasts without renewal, unless told otherwise. */
    public static final Duration DEFAULT_TURN_LEASE = Duration.ofSeconds(15);

    private PostgresConversationCatalog(Database database, Clock clock) {
        this.database = database;
        this.clock = clock;
    }

    /**
     * Opens a pool on the database and makes its first connection. It does not create or change
     * tables: call {@link #migrate()} for that (a server does at start unless told not to).
     *
     * @throws StorageException {@code store_unavailable} when the database cannot be reached within
     *                          the settings' connect timeout, or refuses the user or password
     */
    public static PostgresConversationCatalog open(Settings settings) {
        return open(settings, Clock.systemUTC());
    }

    static PostgresConversationCatalog open(Settings settings, Clock clock) {
        Objects.requireNonNull(settings, "settings");
        return new PostgresConversationCatalog(Database.open(settings), clock);
    }

    /**
     * Brings the database's Companion tables up to this release, applying the migrations it has not
     * yet (none when it is up to date). Several servers may migrate at once: Flyway holds a
     * PostgreSQL advisory lock while it works. A database already migrated by a newer release is
     * left as it is.
     *
     * @throws StorageException {@code store_unavailable} when the database cannot be reached,
     *                          {@code store_schema_outdated} when a migration fails (it is rolled back)
     */
    public Migration migrate() {
        try {
            MigrateResult result = flyway().migrate();
            String version = result.targetSchemaVersion != null ? result.targetSchemaVersion : result.initialSchemaVersion;
            return new Migration(result.migrationsExecuted, Optional.ofNullable(version));
        } catch (FlywayException e) {
            throw Failures.migrationFailed(e);
        }
    }

    /**
     * Checks, without changing anything, that the database's Companion tables are those this release
     * needs: for a server told not to migrate at start, so it refuses to start rather than fail on
     * its first request. A database a newer release migrated further passes.
     *
     * @throws StorageException {@code store_schema_outdated} when a migration of this release has not
     *                          been applied (run {@link #migrate()}), {@code store_unavailable} when
     *                          the database cannot be reached
     */
    public void requireMigrated() {
        MigrationInfo[] pending;
        try {
            pending = flyway().info().pending();
        } catch (FlywayException e) {
            throw Failures.migrationFailed(e);
        }
        if (pending.length > 0) {
            throw Failures.schemaOutdated(null);
        }
    }

    private Flyway flyway() {
        return Flyway.configure(PostgresConversationCatalog.class.getClassLoader())
                .dataSource(database.dataSource())
                .locations(MIGRATIONS)
                .table(HISTORY_TABLE)
                .failOnMissingLocations(true)
                .ignoreMigrationPatterns("*:future")
                .load();
    }

    @Override
    public List<StoredConversation> conversations() {
        return database.read(connection -> {
            try (PreparedStatement all = connection.prepareStatement("SELECT " + CONVERSATION_COLUMNS
                    + " FROM conversations ORDER BY created_at, created_at_nanos, id");
                 ResultSet rows = all.executeQuery()) {
                List<StoredConversation> found = new ArrayList<>();
                while (rows.next()) {
                    found.add(conversation(rows));
                }
                return List.copyOf(found);
            }
        });
    }

    @Override
    public Optional<StoredConversation> find(ConversationId id) {
        Objects.requireNonNull(id, "id");
        return database.read(connection -> {
            try (PreparedStatement one = connection.prepareStatement("SELECT " + CONVERSATION_COLUMNS
                    + " FROM conversations WHERE id = ?")) {
                one.setString(1, id.value());
                try (ResultSet row = one.executeQuery()) {
                    return row.next() ? Optional.of(conversation(row)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public StoredConversation create(ConversationId id, Optional<String> title, Instant createdAt) {
        StoredConversation created = new StoredConversation(id, title.map(Storable::text), createdAt);
        int inserted = database.write(connection -> {
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO conversations (id, title, created_at, created_at_nanos) VALUES (?, ?, ?, ?) "
                            + "ON CONFLICT (id) DO NOTHING")) {
                insert.setString(1, id.value());
                insert.setString(2, created.title().orElse(null));
                insert.setObject(3, PostgresTranscriptStore.microseconds(createdAt));
                insert.setInt(4, createdAt.getNano() % 1000);
                return insert.executeUpdate();
            }
        });
        if (inserted == 0) {
            throw new IllegalArgumentException("a conversation with id " + id + " exists");
        }
        return created;
    }

    @Override
    public StoredConversation retitle(ConversationId id, String title) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(title, "title");
        Optional<StoredConversation> renamed = database.write(connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE conversations SET title = ? WHERE id = ? RETURNING " + CONVERSATION_COLUMNS)) {
                update.setString(1, Storable.text(title));
                update.setString(2, id.value());
                try (ResultSet row = update.executeQuery()) {
                    return row.next() ? Optional.of(conversation(row)) : Optional.empty();
                }
            }
        });
        return renamed.orElseThrow(() -> new IllegalArgumentException("no conversation with id " + id));
    }

    /** Deletes the conversation; its items and reply progress go with it (ON DELETE CASCADE). */
    @Override
    public void delete(ConversationId id) {
        Objects.requireNonNull(id, "id");
        database.write(connection -> {
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM conversations WHERE id = ?")) {
                delete.setString(1, id.value());
                return delete.executeUpdate();
            }
        });
        synchronized (this) {
            PostgresTranscriptStore gone = transcripts.remove(id);
            if (gone != null) {
                gone.discard();
            }
        }
    }

    /**
     * The conversation's transcript. The conversation is looked up each time (another server may
     * have deleted it); the transcript object is made once, and making it recovers the replies a
     * server stopped in the middle of (see {@link TranscriptStore#recordReplyProgress}).
     *
     * <p>Only replies whose turn holds no lease are recovered here: a turn with a lease is another
     * server's, still streaming, or is reclaimed by the {@link #turnLeases leases} once it expires.
     */
    @Override
    public synchronized TranscriptStore transcript(ConversationId id) {
        ensureOpen();
        if (find(id).isEmpty()) {
            PostgresTranscriptStore gone = transcripts.remove(id);
            if (gone != null) {
                gone.discard();
            }
            throw new IllegalArgumentException("no conversation with id " + id);
        }
        PostgresTranscriptStore transcript = transcripts.get(id);
        if (transcript == null || transcript.isClosed()) {
            transcript = PostgresTranscriptStore.open(database, id, clock);
            transcripts.put(id, transcript);
        }
        return transcript;
    }

    /**
     * Appends several entries to a conversation's transcript in one transaction: all are stored, or
     * (on a failure) none. For moving a transcript in (the journal's import), where one statement
     * and one commit per item would be slow.
     *
     * @throws IllegalArgumentException when there is no such conversation
     */
    public List<TranscriptItem> appendAll(ConversationId id, List<TranscriptEntry> entries) {
        Objects.requireNonNull(entries, "entries");
        PostgresTranscriptStore transcript;
        synchronized (this) {
            transcript = (PostgresTranscriptStore) transcript(id);
        }
        return transcript.appendAll(entries);
    }

    /**
     * One turn per conversation across every server on this database (give them to the runtime's
     * builder). A claim lasts {@code lease} unless renewed; the server renews it every third of that
     * while the reply streams, so a server that dies leaves its conversation to another within about
     * {@code lease}, its reply kept as interrupted. Made once; the catalogue closes it.
     *
     * @throws IllegalArgumentException for a lease under one second or over an hour
     * @throws IllegalStateException    when asked again with another lease
     */
    public synchronized TurnLeases turnLeases(Duration lease) {
        Objects.requireNonNull(lease, "lease");
        ensureOpen();
        if (lease.compareTo(Duration.ofSeconds(1)) < 0 || lease.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("a turn lease lasts between 1 second and 1 hour");
        }
        if (leases == null) {
            leases = new PostgresTurnLeases(database, clock, lease);
        } else if (!leases.lease().equals(lease)) {
            throw new IllegalStateException("the turn leases were made with another duration");
        }
        return leases;
    }

    /**
     * The events of every server on this database, for the runtime's builder: a reader on one server
     * follows the turns running on the others, by ids every server shares. Made once; the catalogue
     * closes it (and its listening connection).
     */
    public synchronized SharedEvents sharedEvents() {
        ensureOpen();
        if (events == null) {
            events = new PostgresSharedEvents(database);
            events.onTurnNotice(this::turnNotice);
        }
        return events;
    }

    /** Another server asked for a cancel: the leases held here renew at once, and the one meant sees it. */
    private void turnNotice() {
        PostgresTurnLeases held;
        synchronized (this) {
            held = leases;
        }
        if (held != null) {
            held.renewAllSoon();
        }
    }

    /** Titles and item words, case ignored, in SQL ({@code ILIKE}, with {@code %}, {@code _} and {@code \} taken literally). */
    @Override
    public List<ConversationId> search(String term) {
        String pattern = "%" + Storable.text(term).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
        return database.read(connection -> {
            try (PreparedStatement search = connection.prepareStatement("""
                    SELECT c.id FROM conversations c
                     WHERE c.title ILIKE ? ESCAPE '\\'
                        OR EXISTS (SELECT 1 FROM items i WHERE i.conversation_id = c.id AND i.content ILIKE ? ESCAPE '\\')
                     ORDER BY c.created_at, c.created_at_nanos, c.id
                    """)) {
                search.setString(1, pattern);
                search.setString(2, pattern);
                List<ConversationId> found = new ArrayList<>();
                try (ResultSet rows = search.executeQuery()) {
                    while (rows.next()) {
                        found.add(new ConversationId(rows.getString(1)));
                    }
                }
                return List.copyOf(found);
            }
        });
    }

    /** Closes every transcript (writing what is pending of replies in progress), then the pool. Twice is harmless. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (leases != null) {
                leases.close();
            }
            if (events != null) {
                events.close();
            }
            transcripts.values().forEach(PostgresTranscriptStore::close);
            transcripts.clear();
        } finally {
            database.close();
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the catalogue is closed");
        }
    }

    private static StoredConversation conversation(ResultSet row) throws SQLException {
        Instant createdAt = row.getObject("created_at", OffsetDateTime.class).toInstant()
                .plusNanos(row.getInt("created_at_nanos"));
        return new StoredConversation(new ConversationId(row.getString("id")),
                Optional.ofNullable(row.getString("title")), createdAt);
    }

    /** What {@link #migrate()} did: how many migrations it applied, and the schema version now. */
    public record Migration(int applied, Optional<String> schemaVersion) {

        public Migration {
            Objects.requireNonNull(schemaVersion, "schemaVersion");
            if (applied < 0) {
                throw new IllegalArgumentException("applied must not be negative");
            }
        }
    }

    /**
     * A database password. It goes to the driver and nowhere else: {@code toString()} masks it and no
     * exception message carries it.
     */
    public static final class Password {

        private final String value;

        private Password(String value) {
            this.value = value;
        }

        public static Password of(String value) {
            Objects.requireNonNull(value, "value");
            if (value.isEmpty()) {
                throw new IllegalArgumentException("a password must not be empty");
            }
            return new Password(value);
        }

        /** The password in a file: its first line, without the line break. The path is not repeated in errors. */
        public static Password fromFile(Path file) throws IOException {
            try (InputStream in = Files.newInputStream(file)) {
                String text = new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
                int newline = text.indexOf('\n');
                String line = newline < 0 ? text : text.substring(0, newline);
                return of(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
            }
        }

        /** Only the pool reads it, to log in. */
        String reveal() {
            return value;
        }

        @Override
        public String toString() {
            return "Password[****]";
        }
    }

    /**
     * How to reach the database. {@code sslMode} is the driver's {@code sslmode} (its default,
     * {@code prefer}, when empty). {@code maximumPoolSize} bounds this server's connections;
     * {@code connectTimeout} bounds how long a call waits for one, and {@link #open} for the first.
     */
    public record Settings(String host, int port, String database, String user, Optional<Password> password,
                           Optional<String> sslMode, int maximumPoolSize, Duration connectTimeout) {

        public static final int DEFAULT_PORT = 5432;
        public static final int DEFAULT_MAXIMUM_POOL_SIZE = 10;
        public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
        static final Set<String> SSL_MODES = Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");

        public Settings {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(database, "database");
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(password, "password");
            Objects.requireNonNull(sslMode, "sslMode");
            Objects.requireNonNull(connectTimeout, "connectTimeout");
            if (!host.matches("[A-Za-z0-9._-]+|\\[[0-9A-Fa-f:.%A-Za-z]+]")) {
                throw new IllegalArgumentException("the host is a name, an IPv4 address or a bracketed IPv6 address");
            }
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException("the port is between 1 and 65535");
            }
            if (database.isBlank() || database.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("a database name is needed");
            }
            if (user.isBlank() || user.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("a user name is needed");
            }
            if (sslMode.isPresent() && !SSL_MODES.contains(sslMode.get())) {
                throw new IllegalArgumentException("sslmode is one of " + String.join(", ", SSL_MODES.stream().sorted().toList()));
            }
            if (maximumPoolSize < 1 || maximumPoolSize > 1000) {
                throw new IllegalArgumentException("the pool size is between 1 and 1000");
            }
            if (connectTimeout.compareTo(Duration.ofMillis(250)) < 0) {
                throw new IllegalArgumentException("the connect timeout is at least 250 ms");
            }
        }

        /** A database on {@code host:port}, with the default pool and timeouts and no password. */
        public static Settings of(String host, int port, String database, String user) {
            return new Settings(host, port, database, user, Optional.empty(), Optional.empty(),
                    DEFAULT_MAXIMUM_POOL_SIZE, DEFAULT_CONNECT_TIMEOUT);
        }

        /**
         * Settings from a URL such as {@code postgresql://HOST:PORT/DATABASE?user=USER&sslmode=require}
         * ({@code postgres://} and {@code jdbc:postgresql://} too; {@code USER@HOST} is the same as
         * {@code ?user=}). Without a port, 5432; without a user, the operating system's user name, as
         * libpq does. A password in the URL is refused: give it with {@link #withPassword}.
         *
         * @throws IllegalArgumentException for another form; the message never repeats the URL
         */
        public static Settings fromUrl(String url) {
            return ConnectionUrl.parse(url);
        }

        public Settings withPassword(Password value) {
            return new Settings(host, port, database, user, Optional.of(value), sslMode, maximumPoolSize, connectTimeout);
        }

        public Settings withSslMode(String value) {
            return new Settings(host, port, database, user, password, Optional.of(value), maximumPoolSize, connectTimeout);
        }

        public Settings withMaximumPoolSize(int value) {
            return new Settings(host, port, database, user, password, sslMode, value, connectTimeout);
        }

        public Settings withConnectTimeout(Duration value) {
            return new Settings(host, port, database, user, password, sslMode, maximumPoolSize, value);
        }

        /** The password is masked by {@link Password#toString()}. */
        @Override
        public String toString() {
            return "Settings[host=" + host + ", port=" + port + ", database=" + database + ", user=" + user
                    + ", password=" + password.map(Password::toString).orElse("none")
                    + ", sslMode=" + sslMode.orElse("default") + ", maximumPoolSize=" + maximumPoolSize
                    + ", connectTimeout=" + connectTimeout + "]";
        }
    }
}
