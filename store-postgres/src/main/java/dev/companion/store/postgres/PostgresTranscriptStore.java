package dev.companion.store.postgres;

import dev.companion.core.model.ConversationId;
import dev.companion.core.model.ConversationNotFoundException;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.ReplyDetails;
import dev.companion.core.model.Role;
import dev.companion.core.model.Severity;
import dev.companion.core.model.TokenUsage;
import dev.companion.core.model.TranscriptEntry;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TurnId;
import dev.companion.core.port.StorageException;
import dev.companion.core.port.TranscriptStore;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLDataException;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One conversation's transcript in PostgreSQL. Every call is a statement or two on a pooled
 * connection; nothing is cached, so several servers on one database see each other's items at once.
 *
 * <p>An append is one statement: it takes the next sequence from the conversation's row (whose lock
 * orders appends from every server) and inserts the item, or does neither. Reply progress is written
 * in chunks, at most every {@link #PROGRESS_INTERVAL} per turn (the first piece at once), and kept
 * until the reply is appended; a store opened later turns what it finds into {@code interrupted} replies.
 *
 * <p>PostgreSQL text cannot hold the NUL character: a NUL in an item (which only a model can send;
 * user messages refuse it) is stored as U+FFFD, and the item returned by {@link #append} says so.
 */
final class PostgresTranscriptStore implements TranscriptStore {

    private static final Logger LOG = Logger.getLogger(PostgresTranscriptStore.class.getName());

    static final String RECOVERED_SOURCE = "recovered";
    static final Duration PROGRESS_INTERVAL = Duration.ofMillis(250);
    /** After a failed progress write, the stream is not held up by another attempt for this long. */
    private static final Duration PROGRESS_BACKOFF = Duration.ofSeconds(5);

    static final String APPEND = """
            WITH next AS (
                UPDATE conversations SET item_count = item_count + 1 WHERE id = ?
                RETURNING item_count - 1 AS sequence
            ), finished AS (
                DELETE FROM reply_progress WHERE ?::boolean AND conversation_id = ? AND turn_id = ?
            )
            INSERT INTO items (conversation_id, sequence, role, content, created_at, created_at_nanos, source,
                               status, turn_id, reasoning, reasoning_nanos, input_tokens, output_tokens,
                               reasoning_tokens, diagnostics)
            SELECT ?, next.sequence, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                   (SELECT jsonb_agg(jsonb_build_object('code', c, 'severity', s, 'message', m) ORDER BY n)
                      FROM unnest(?::text[], ?::text[], ?::text[]) WITH ORDINALITY AS d(c, s, m, n))
              FROM next
            RETURNING sequence
            """;

    /** A page: a range scan of the primary key from {@code start}, never an OFFSET. */
    static final String READ_PAGE = """
            SELECT i.sequence, i.role, i.content, i.created_at, i.created_at_nanos, i.source, i.status,
                   i.turn_id, i.reasoning, i.reasoning_nanos, i.input_tokens, i.output_tokens,
                   i.reasoning_tokens, d.codes, d.severities, d.messages
              FROM items i
              LEFT JOIN LATERAL (
                   SELECT array_agg(e ->> 'code' ORDER BY n) AS codes,
                          array_agg(e ->> 'severity' ORDER BY n) AS severities,
                          array_agg(e ->> 'message' ORDER BY n) AS messages
                     FROM jsonb_array_elements(i.diagnostics) WITH ORDINALITY AS x(e, n)) d ON true
             WHERE i.conversation_id = ? AND i.sequence >= ?
             ORDER BY i.sequence
             LIMIT ?
            """;

    private static final String SIZE = "SELECT item_count FROM conversations WHERE id = ?";

    private static final String SUPERSEDE = """
            UPDATE items SET status = ?
             WHERE conversation_id = ? AND sequence = ANY (?)
               AND (SELECT count(*) FROM items WHERE conversation_id = ? AND sequence = ANY (?)) = ?
            """;

    private static final String PROGRESS_CHUNK = """
            INSERT INTO reply_progress (conversation_id, turn_id, position, text) VALUES (?, ?, ?, ?)
            ON CONFLICT (conversation_id, turn_id, position) DO UPDATE SET text = EXCLUDED.text, written_at = now()
            """;

    /**
     * Takes every reply still in progress whose turn holds no lease, so two stores opening at once
     * cannot both recover one. A turn with a lease is another server's, still streaming, or one whose
     * expired lease {@link PostgresTurnLeases} reclaims (with its progress).
     */
    private static final String TAKE_PROGRESS = """
            WITH taken AS (
                DELETE FROM reply_progress p WHERE p.conversation_id = ?
                   AND NOT EXISTS (SELECT 1 FROM turn_leases l
                                    WHERE l.conversation_id = p.conversation_id AND l.turn_id = p.turn_id)
                RETURNING turn_id, position, text, written_at
            )
            SELECT turn_id, string_agg(text, '' ORDER BY position) AS text, min(written_at) AS started
              FROM taken
             GROUP BY turn_id
             ORDER BY started, turn_id
            """;

    private final Database database;
    private final ConversationId conversation;
    private final Clock clock;
    private final List<Diagnostic> diagnostics = new ArrayList<>();

    private final Object progressLock = new Object();
    /** Replies this store is recording, by turn; guarded by {@link #progressLock}. */
    private final Map<TurnId, Progress> progress = new HashMap<>();
    private volatile boolean closed;

    /** What of one streaming reply is written, and what waits for the next chunk. */
    private static final class Progress {
        final StringBuilder pending = new StringBuilder();
        long written;
        long nextWriteNanos;

        Progress(long now) {
            nextWriteNanos = now;
        }
    }

    private PostgresTranscriptStore(Database database, ConversationId conversation, Clock clock) {
        this.database = database;
        this.conversation = conversation;
        this.clock = clock;
    }

    /** Opens the transcript, turning replies left in progress into {@code interrupted} items. */
    static PostgresTranscriptStore open(Database database, ConversationId conversation, Clock clock) {
        PostgresTranscriptStore store = new PostgresTranscriptStore(database, conversation, clock);
        store.recoverInterruptedReplies();
        return store;
    }

    private void recoverInterruptedReplies() {
        List<TranscriptItem> recovered = database.transaction(connection -> {
            List<TranscriptEntry> entries = new ArrayList<>();
            try (PreparedStatement take = connection.prepareStatement(TAKE_PROGRESS)) {
                take.setString(1, conversation.value());
                try (ResultSet rows = take.executeQuery()) {
                    while (rows.next()) {
                        entries.add(new TranscriptEntry(Role.ASSISTANT, rows.getString("text"), clock.instant(),
                                RECOVERED_SOURCE, ItemStatus.INTERRUPTED, new TurnId(rows.getString("turn_id"))));
                    }
                }
            }
            List<TranscriptItem> items = new ArrayList<>();
            for (TranscriptEntry entry : entries) {
                items.add(insert(connection, entry));
            }
            return items;
        });
        for (TranscriptItem item : recovered) {
            diagnostics.add(Diagnostic.warning(DiagnosticCode.TURN_INTERRUPTED,
                    "A reply cut short when its server stopped was kept with the " + item.content().length()
                            + " characters written before the stop, and marked interrupted."));
        }
    }

    @Override
    public TranscriptItem append(TranscriptEntry entry) {
        ensureOpen();
        TranscriptEntry storable = Storable.entry(entry);
        if (storable.role() != Role.ASSISTANT) {
            return database.write(connection -> insert(connection, storable));
        }
        // The reply ends its turn's progress, in the same statement; no chunk of it may be written after.
        synchronized (progressLock) {
            TranscriptItem item = database.write(connection -> insert(connection, storable));
            progress.remove(storable.turnId());
            return item;
        }
    }

    /** Appends the entries in one transaction, in order: all or none. Entries of replies end their progress, as {@link #append} does. */
    List<TranscriptItem> appendAll(List<TranscriptEntry> entries) {
        ensureOpen();
        if (entries.isEmpty()) {
            return List.of();
        }
        List<TranscriptEntry> storable = entries.stream().map(Storable::entry).toList();
        synchronized (progressLock) {
            List<TranscriptItem> items = database.transaction(connection -> {
                List<TranscriptItem> appended = new ArrayList<>(storable.size());
                for (TranscriptEntry entry : storable) {
                    appended.add(insert(connection, entry));
                }
                return appended;
            });
            storable.stream().filter(entry -> entry.role() == Role.ASSISTANT)
                    .forEach(entry -> progress.remove(entry.turnId()));
            return List.copyOf(items);
        }
    }

    private TranscriptItem insert(Connection connection, TranscriptEntry entry) throws SQLException {
        return insert(connection, conversation, entry);
    }

    /** One item appended in the caller's transaction; a reply's progress goes with it. */
    static TranscriptItem insert(Connection connection, ConversationId conversation, TranscriptEntry entry)
            throws SQLException {
        try (PreparedStatement append = connection.prepareStatement(APPEND)) {
            int at = 1;
            append.setString(at++, conversation.value());
            append.setBoolean(at++, entry.role() == Role.ASSISTANT);
            append.setString(at++, conversation.value());
            append.setString(at++, entry.turnId().value());
            append.setString(at++, conversation.value());
            append.setString(at++, entry.role().wireName());
            append.setString(at++, entry.content());
            append.setObject(at++, microseconds(entry.createdAt()));
            append.setInt(at++, entry.createdAt().getNano() % 1000);
            append.setString(at++, entry.source());
            append.setString(at++, entry.status().wireName());
            append.setString(at++, entry.turnId().value());
            ReplyDetails details = entry.details();
            append.setString(at++, details.reasoning());
            setLong(append, at++, details.reasoningTime().map(Duration::toNanos));
            setLong(append, at++, details.usage().map(TokenUsage::inputTokens));
            setLong(append, at++, details.usage().map(TokenUsage::outputTokens));
            setLong(append, at++, details.usage().map(TokenUsage::reasoningTokens));
            List<Diagnostic> notes = details.diagnostics();
            append.setArray(at++, connection.createArrayOf("text",
                    notes.stream().map(d -> d.code().wireName()).toArray()));
            append.setArray(at++, connection.createArrayOf("text",
                    notes.stream().map(d -> d.severity().wireName()).toArray()));
            append.setArray(at, connection.createArrayOf("text", notes.stream().map(Diagnostic::message).toArray()));
            try (ResultSet row = append.executeQuery()) {
                if (!row.next()) {
                    throw new ConversationNotFoundException(conversation);
                }
                return entry.at(row.getLong(1));
            }
        }
    }

    @Override
    public void supersede(Set<Long> sequences) {
        ensureOpen();
        for (long sequence : sequences) {
            if (sequence < 0) {
                throw new IllegalArgumentException("no item at sequence " + sequence);
            }
        }
        if (sequences.isEmpty()) {
            return;
        }
        int updated = database.write(connection -> {
            try (PreparedStatement update = connection.prepareStatement(SUPERSEDE)) {
                Array wanted = connection.createArrayOf("bigint", sequences.toArray());
                update.setString(1, ItemStatus.SUPERSEDED.wireName());
                update.setString(2, conversation.value());
                update.setArray(3, wanted);
                update.setString(4, conversation.value());
                update.setArray(5, wanted);
                update.setLong(6, sequences.size());
                return update.executeUpdate();
            }
        });
        if (updated != sequences.size()) {
            throw new IllegalArgumentException("the transcript does not hold every sequence named");
        }
    }

    @Override
    public long size() {
        ensureOpen();
        return database.read(connection -> {
            try (PreparedStatement size = connection.prepareStatement(SIZE)) {
                size.setString(1, conversation.value());
                try (ResultSet row = size.executeQuery()) {
                    if (!row.next()) {
                        throw new ConversationNotFoundException(conversation);
                    }
                    return row.getLong(1);
                }
            }
        });
    }

    @Override
    public List<TranscriptItem> read(long start, int limit) {
        if (start < 0) {
            throw new IllegalArgumentException("start must not be negative");
        }
        ensureOpen();
        if (limit <= 0) {
            return List.of();
        }
        return database.read(connection -> {
            try (PreparedStatement page = connection.prepareStatement(READ_PAGE)) {
                page.setString(1, conversation.value());
                page.setLong(2, start);
                page.setInt(3, limit);
                List<TranscriptItem> items = new ArrayList<>();
                try (ResultSet rows = page.executeQuery()) {
                    while (rows.next()) {
                        items.add(item(rows));
                    }
                }
                return List.copyOf(items);
            }
        });
    }

    @Override
    public void recordReplyProgress(TurnId turn, String delta) {
        if (turn == null || delta == null || delta.isEmpty()) {
            return;
        }
        try {
            synchronized (progressLock) {
                if (closed) {
                    return;
                }
                long now = System.nanoTime();
                Progress reply = progress.computeIfAbsent(turn, t -> new Progress(now));
                reply.pending.append(Storable.text(delta));
                if (now - reply.nextWriteNanos >= 0) {
                    writeProgress(turn, reply, now);
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "reply progress was not kept", e);
        }
    }

    /** Writes what is pending of one reply; on failure keeps it for the next try. Holds {@link #progressLock}. */
    private void writeProgress(TurnId turn, Progress reply, long now) {
        if (reply.pending.length() == 0) {
            return;
        }
        String chunk = reply.pending.toString();
        try {
            database.write(connection -> {
                try (PreparedStatement insert = connection.prepareStatement(PROGRESS_CHUNK)) {
                    insert.setString(1, conversation.value());
                    insert.setString(2, turn.value());
                    insert.setLong(3, reply.written);
                    insert.setString(4, chunk);
                    return insert.executeUpdate();
                }
            });
            reply.written += chunk.length();
            reply.pending.setLength(0);
            reply.nextWriteNanos = now + PROGRESS_INTERVAL.toNanos();
        } catch (StorageException e) {
            reply.nextWriteNanos = now + PROGRESS_BACKOFF.toNanos();
            LOG.log(Level.FINE, "reply progress was not kept; it is tried again with the next piece", e);
        }
    }

    @Override
    public List<Diagnostic> diagnostics() {
        return List.copyOf(diagnostics);
    }

    /** Writes what is pending of every reply, then refuses further use. Calling it again does nothing. */
    @Override
    public void close() {
        synchronized (progressLock) {
            if (closed) {
                return;
            }
            long now = System.nanoTime();
            progress.forEach((turn, reply) -> writeProgress(turn, reply, now));
            progress.clear();
            closed = true;
        }
    }

    /** Closes without writing anything more: the conversation is gone. */
    void discard() {
        synchronized (progressLock) {
            progress.clear();
            closed = true;
        }
    }

    boolean isClosed() {
        return closed;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("this transcript was closed");
        }
    }

    private static final String TAKE_TURN_PROGRESS = """
            WITH taken AS (
                DELETE FROM reply_progress WHERE conversation_id = ? AND turn_id = ? RETURNING position, text
            )
            SELECT coalesce(string_agg(text, '' ORDER BY position), '') FROM taken
            """;

    /** Whether the turn's message or reply is among the newest items (a turn's items are near the end). */
    private static final String TURN_ITEMS = """
            SELECT bool_or(role = 'user'), bool_or(role = 'assistant') FROM (
                SELECT role, turn_id FROM items WHERE conversation_id = ? ORDER BY sequence DESC LIMIT 64
            ) recent WHERE turn_id = ?
            """;

    /**
     * Ends a turn whose server died, in the caller's transaction: the text it stored so far becomes
     * its reply, marked interrupted, unless the turn already has a reply (it ended, and only the lease
     * was left) or nothing of it was stored at all.
     */
    static Optional<TranscriptItem> interruptTurn(Connection connection, ConversationId conversation, TurnId turn,
                                                  Instant at) throws SQLException {
        String text;
        try (PreparedStatement take = connection.prepareStatement(TAKE_TURN_PROGRESS)) {
            take.setString(1, conversation.value());
            take.setString(2, turn.value());
            try (ResultSet row = take.executeQuery()) {
                row.next();
                text = row.getString(1);
            }
        }
        boolean asked;
        boolean answered;
        try (PreparedStatement items = connection.prepareStatement(TURN_ITEMS)) {
            items.setString(1, conversation.value());
            items.setString(2, turn.value());
            try (ResultSet row = items.executeQuery()) {
                row.next();
                asked = row.getBoolean(1);
                answered = row.getBoolean(2);
            }
        }
        if (answered || (text.isEmpty() && !asked)) {
            return Optional.empty();
        }
        return Optional.of(insert(connection, conversation, new TranscriptEntry(Role.ASSISTANT, text, at,
                RECOVERED_SOURCE, ItemStatus.INTERRUPTED, turn)));
    }

    private static TranscriptItem item(ResultSet row) throws SQLException {
        long sequence = row.getLong("sequence");
        try {
            Instant createdAt = row.getObject("created_at", OffsetDateTime.class).toInstant()
                    .plusNanos(row.getInt("created_at_nanos"));
            ReplyDetails details = new ReplyDetails(row.getString("reasoning"),
                    optionalLong(row, "reasoning_nanos").map(Duration::ofNanos),
                    usage(row), diagnostics(row));
            return new TranscriptItem(sequence, Role.valueOf(upper(row.getString("role"))), row.getString("content"),
                    createdAt, row.getString("source"), ItemStatus.valueOf(upper(row.getString("status"))),
                    new TurnId(row.getString("turn_id")), details.isEmpty() ? ReplyDetails.NONE : details);
        } catch (IllegalArgumentException | NullPointerException e) {
            // Written by a newer server (a status or code this one does not know), or by hand.
            throw new SQLDataException("the item at sequence " + sequence + " cannot be read by this server", e);
        }
    }

    private static Optional<TokenUsage> usage(ResultSet row) throws SQLException {
        Optional<Long> input = optionalLong(row, "input_tokens");
        if (input.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new TokenUsage(input.get(), row.getLong("output_tokens"), row.getLong("reasoning_tokens")));
    }

    private static List<Diagnostic> diagnostics(ResultSet row) throws SQLException {
        Array codes = row.getArray("codes");
        if (codes == null) {
            return List.of();
        }
        String[] code = (String[]) codes.getArray();
        String[] severity = (String[]) row.getArray("severities").getArray();
        String[] message = (String[]) row.getArray("messages").getArray();
        List<Diagnostic> notes = new ArrayList<>(code.length);
        for (int i = 0; i < code.length; i++) {
            notes.add(new Diagnostic(DiagnosticCode.valueOf(upper(code[i])), Severity.valueOf(upper(severity[i])),
                    message[i]));
        }
        return notes;
    }

    private static Optional<Long> optionalLong(ResultSet row, String column) throws SQLException {
        long value = row.getLong(column);
        return row.wasNull() ? Optional.empty() : Optional.of(value);
    }

    private static void setLong(PreparedStatement statement, int index, Optional<Long> value) throws SQLException {
        if (value.isPresent()) {
            statement.setLong(index, value.get());
        } else {
            statement.setNull(index, Types.BIGINT);
        }
    }

    private static String upper(String wireName) {
        return wireName.toUpperCase(Locale.ROOT);
    }

    /** The instant to the microsecond, as timestamptz keeps it; the nanoseconds below go in their own column. */
    static OffsetDateTime microseconds(Instant instant) {
        return OffsetDateTime.ofInstant(instant.truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
    }
}
