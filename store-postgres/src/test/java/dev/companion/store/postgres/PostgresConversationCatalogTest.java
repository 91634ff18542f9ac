package dev.companion.store.postgres;

import dev.companion.core.model.ConversationId;
import dev.companion.core.model.ConversationNotFoundException;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptEntry;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TurnId;
import dev.companion.core.port.StorageException;
import dev.companion.core.port.TranscriptStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** What the PostgreSQL store does beyond the contracts: several servers on one database, deep pages, SQL search, migrations. */
class PostgresConversationCatalogTest {

    @RegisterExtension
    static final PostgresDatabase DATABASE = PostgresDatabase.migrated();

    @RegisterExtension
    static final PostgresDatabase NOT_MIGRATED = PostgresDatabase.empty();

    @RegisterExtension
    static final PostgresDatabase NEVER_MIGRATED = PostgresDatabase.empty();

    private static final Instant T0 = Instant.parse("2025-03-01T10:15:30.123456789Z");
    private static final AtomicInteger IDS = new AtomicInteger();

    private static ConversationId freshId() {
        return new ConversationId("c" + IDS.incrementAndGet());
    }

    private static TranscriptEntry user(String content) {
        return new TranscriptEntry(Role.USER, content, T0, "http", ItemStatus.ACCEPTED, new TurnId("turn-1"));
    }

    // --- several servers --------------------------------------------------------------------

    @Test
    void two_servers_appending_to_one_conversation_get_distinct_gap_free_sequences() throws Exception {
        ConversationId id = freshId();
        int threadsPerServer = 4;
        int perThread = 50;
        try (PostgresConversationCatalog first = PostgresConversationCatalog.open(DATABASE.settings());
             PostgresConversationCatalog second = PostgresConversationCatalog.open(DATABASE.settings())) {
            first.create(id, Optional.empty(), T0);
            List<TranscriptStore> servers = List.of(first.transcript(id), second.transcript(id));
            ExecutorService pool = Executors.newFixedThreadPool(2 * threadsPerServer);
            CountDownLatch start = new CountDownLatch(1);
            ConcurrentLinkedQueue<TranscriptItem> returned = new ConcurrentLinkedQueue<>();
            try {
                List<Future<?>> running = new ArrayList<>();
                for (int s = 0; s < servers.size(); s++) {
                    for (int t = 0; t < threadsPerServer; t++) {
                        TranscriptStore transcript = servers.get(s);
                        String writer = "server" + s + "-thread" + t;
                        running.add(pool.submit(() -> {
                            start.await(10, TimeUnit.SECONDS);
                            for (int i = 0; i < perThread; i++) {
                                returned.add(transcript.append(user(writer + " message " + i)));
                            }
                            return null;
                        }));
                    }
                }
                start.countDown();
                for (Future<?> future : running) {
                    future.get(120, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }

            int total = 2 * threadsPerServer * perThread;
            assertThat(returned).extracting(TranscriptItem::sequence)
                    .containsExactlyInAnyOrderElementsOf(LongStream.range(0, total).boxed().toList());
            for (TranscriptStore transcript : servers) {
                assertThat(transcript.size()).isEqualTo(total);
                assertThat(transcript.read(0, total)).containsExactlyInAnyOrderElementsOf(returned)
                        .extracting(TranscriptItem::sequence).isSorted();
            }
        }
    }

    @Test
    void a_server_sees_a_conversation_another_server_created_and_loses_it_when_that_server_deletes_it() {
        ConversationId id = freshId();
        try (PostgresConversationCatalog first = PostgresConversationCatalog.open(DATABASE.settings());
             PostgresConversationCatalog second = PostgresConversationCatalog.open(DATABASE.settings())) {
            first.create(id, Optional.of("shared"), T0);
            first.transcript(id).append(user("from the first server"));
            TranscriptStore seenBySecond = second.transcript(id);

            assertThat(seenBySecond.read(0, 10)).extracting(TranscriptItem::content).containsExactly("from the first server");

            first.delete(id);

            assertThat(second.find(id)).isEmpty();
            assertThatExceptionOfType(ConversationNotFoundException.class)
                    .isThrownBy(() -> seenBySecond.append(user("too late")));
            assertThatExceptionOfType(IllegalArgumentException.class).isThrownBy(() -> second.transcript(id));
        }
    }

    @Test
    void a_reply_in_progress_on_a_server_that_died_is_recovered_once_by_the_next_server_to_open_it() {
        ConversationId id = freshId();
        TurnId turn = new TurnId("turn-streaming");
        PostgresConversationCatalog dying = PostgresConversationCatalog.open(DATABASE.settings());
        dying.create(id, Optional.empty(), T0);
        TranscriptStore streaming = dying.transcript(id);
        streaming.append(new TranscriptEntry(Role.USER, "tell me", T0, "http", ItemStatus.ACCEPTED, turn));
        streaming.recordReplyProgress(turn, "Once upon");   // the first piece is written at once
        try (PostgresConversationCatalog other = PostgresConversationCatalog.open(DATABASE.settings());
             PostgresConversationCatalog third = PostgresConversationCatalog.open(DATABASE.settings())) {
            TranscriptStore recovered = other.transcript(id);

            assertThat(recovered.read(1, 1)).singleElement().satisfies(item -> {
                assertThat(item.role()).isEqualTo(Role.ASSISTANT);
                assertThat(item.status()).isEqualTo(ItemStatus.INTERRUPTED);
                assertThat(item.turnId()).isEqualTo(turn);
                assertThat(item.content()).isEqualTo("Once upon");
            });
            assertThat(recovered.diagnostics()).extracting(d -> d.code()).containsExactly(DiagnosticCode.TURN_INTERRUPTED);
            assertThat(third.transcript(id).size()).isEqualTo(2);
            assertThat(third.transcript(id).diagnostics()).isEmpty();
        } finally {
            dying.close();
        }
    }

    @Test
    void reply_progress_is_written_in_chunks_and_gone_once_the_reply_is_appended() throws SQLException {
        ConversationId id = freshId();
        TurnId turn = new TurnId("turn-chunks");
        try (PostgresConversationCatalog catalog = PostgresConversationCatalog.open(DATABASE.settings())) {
            catalog.create(id, Optional.empty(), T0);
            TranscriptStore transcript = catalog.transcript(id);
            transcript.recordReplyProgress(turn, "first ");
            transcript.recordReplyProgress(turn, "second ");

            assertThat(progressRows(id)).as("the first piece at once, the next one waits for the interval")
                    .containsExactly("0:first ");

            transcript.append(new TranscriptEntry(Role.ASSISTANT, "first second third", T0, "offline",
                    ItemStatus.COMPLETED, turn));

            assertThat(progressRows(id)).isEmpty();
        }
    }

    private static List<String> progressRows(ConversationId id) throws SQLException {
        try (Connection connection = DATABASE.connect();
             PreparedStatement select = connection.prepareStatement(
                     "SELECT position, text FROM reply_progress WHERE conversation_id = ? ORDER BY position")) {
            select.setString(1, id.value());
            List<String> rows = new ArrayList<>();
            try (ResultSet result = select.executeQuery()) {
                while (result.next()) {
                    rows.add(result.getLong(1) + ":" + result.getString(2));
                }
            }
            return rows;
        }
    }

    // --- deep pages ---------------------------------------------------------------------------

    @Test
    void a_page_deep_in_a_large_conversation_is_a_primary_key_range_scan_reading_only_its_items() throws SQLException {
        int size = 200_000;
        ConversationId id = new ConversationId("large");
        DATABASE.execute("INSERT INTO conversations (id, created_at, item_count) VALUES ('large', now(), " + size + ")");
        DATABASE.execute("""
                INSERT INTO items (conversation_id, sequence, role, content, created_at, source, status, turn_id)
                SELECT 'large', g, CASE WHEN g % 2 = 0 THEN 'user' ELSE 'assistant' END, 'item ' || g,
                       now(), 'http', CASE WHEN g % 2 = 0 THEN 'accepted' ELSE 'completed' END, 'turn-' || (g / 2)
                  FROM generate_series(0, LAST) AS g
                """.replace("LAST", Integer.toString(size - 1)));
        DATABASE.execute("ANALYZE items");

        String deep = explain(id, 150_000, 50);
        String first = explain(id, 0, 50);

        for (String plan : List.of(deep, first)) {
            assertThat(plan).contains("Index Scan using items_pkey on items").doesNotContain("Seq Scan")
                    .doesNotContain("Sort");
            assertThat(plan.lines().filter(line -> line.contains("Index Scan using items_pkey")))
                    .as("the index scan reads the page's 50 rows, not the rows before it")
                    .singleElement().asString().contains("rows=50 loops=1");
        }
        try (PostgresConversationCatalog catalog = PostgresConversationCatalog.open(DATABASE.settings())) {
            TranscriptStore transcript = catalog.transcript(id);
            assertThat(transcript.size()).isEqualTo(size);
            assertThat(transcript.read(150_000, 50)).extracting(TranscriptItem::sequence)
                    .containsExactlyElementsOf(LongStream.range(150_000, 150_050).boxed().toList());
            assertThat(transcript.read(size - 1, 50)).singleElement()
                    .satisfies(item -> assertThat(item.content()).isEqualTo("item " + (size - 1)));
        }
    }

    private static String explain(ConversationId id, long start, int limit) throws SQLException {
        try (Connection connection = DATABASE.connect();
             PreparedStatement explain = connection.prepareStatement(
                     "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + PostgresTranscriptStore.READ_PAGE)) {
            explain.setString(1, id.value());
            explain.setLong(2, start);
            explain.setInt(3, limit);
            StringBuilder plan = new StringBuilder();
            try (ResultSet rows = explain.executeQuery()) {
                while (rows.next()) {
                    plan.append(rows.getString(1)).append('\n');
                }
            }
            return plan.toString();
        }
    }

    // --- search -------------------------------------------------------------------------------

    @Test
    void search_takes_percent_underscore_and_backslash_literally() {
        ConversationId percent = freshId();
        ConversationId underscore = freshId();
        ConversationId plain = freshId();
        try (PostgresConversationCatalog catalog = PostgresConversationCatalog.open(DATABASE.settings())) {
            catalog.create(percent, Optional.of("Raise of 100% zq"), T0);
            catalog.create(underscore, Optional.empty(), T0);
            catalog.transcript(underscore).append(user("the file is zq_notes\\draft.txt"));
            catalog.create(plain, Optional.of("zq notes and 100 percent"), T0);

            assertThat(catalog.search("100% ZQ")).containsExactly(percent);
            assertThat(catalog.search("zq_n")).containsExactly(underscore);
            assertThat(catalog.search("notes\\draft")).containsExactly(underscore);
            assertThat(catalog.search("%zq")).isEmpty();
        }
    }

    // --- what the database can hold -----------------------------------------------------------

    @Test
    void a_nul_in_a_reply_is_kept_as_the_replacement_character() {
        ConversationId id = freshId();
        try (PostgresConversationCatalog catalog = PostgresConversationCatalog.open(DATABASE.settings())) {
            catalog.create(id, Optional.empty(), T0);
            TranscriptStore transcript = catalog.transcript(id);

            TranscriptItem stored = transcript.append(new TranscriptEntry(Role.ASSISTANT, "a\0b", T0, "openai",
                    ItemStatus.COMPLETED, new TurnId("turn-nul")));

            assertThat(stored.content()).isEqualTo("a\uFFFDb");
            assertThat(transcript.read(0, 1)).containsExactly(stored);
        }
    }

    @Test
    void instants_come_back_to_the_nanosecond_before_and_after_the_epoch() {
        ConversationId id = freshId();
        Instant beforeEpoch = Instant.parse("1969-07-20T20:17:40.000000001Z");
        Instant late = Instant.parse("2999-12-31T23:59:59.999999999Z");
        try (PostgresConversationCatalog catalog = PostgresConversationCatalog.open(DATABASE.settings())) {
            catalog.create(id, Optional.empty(), late);
            TranscriptStore transcript = catalog.transcript(id);
            transcript.append(new TranscriptEntry(Role.USER, "then", beforeEpoch, "cli", ItemStatus.ACCEPTED,
                    new TurnId("turn-time")));

            assertThat(transcript.read(0, 1).get(0).createdAt()).isEqualTo(beforeEpoch);
            assertThat(catalog.find(id).orElseThrow().createdAt()).isEqualTo(late);
        }
    }

    // --- migrations ---------------------------------------------------------------------------

    @Test
    void a_database_not_yet_migrated_says_so_and_migrate_applies_each_migration_once() {
        try (PostgresConversationCatalog catalog = PostgresConversationCatalog.open(NOT_MIGRATED.settings())) {
            assertThatExceptionOfType(StorageException.class).isThrownBy(catalog::conversations)
                    .satisfies(e -> assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.STORE_SCHEMA_OUTDATED));

            assertThat(catalog.migrate()).isEqualTo(new PostgresConversationCatalog.Migration(3, Optional.of("3")));
            assertThat(catalog.migrate()).isEqualTo(new PostgresConversationCatalog.Migration(0, Optional.of("3")));

            assertThat(catalog.conversations()).isEmpty();
        }
    }

    @Test
    void require_migrated_refuses_a_database_with_a_migration_pending_and_changes_nothing() throws SQLException {
        try (PostgresConversationCatalog catalog = PostgresConversationCatalog.open(NEVER_MIGRATED.settings())) {
            assertThatExceptionOfType(StorageException.class).isThrownBy(catalog::requireMigrated)
                    .satisfies(e -> assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.STORE_SCHEMA_OUTDATED));
        }
        try (Connection connection = NEVER_MIGRATED.connect();
             ResultSet tables = connection.getMetaData().getTables(null, "public", "%", new String[] {"TABLE"})) {
            assertThat(tables.next()).as("no table was made").isFalse();
        }
        try (PostgresConversationCatalog catalog = PostgresConversationCatalog.open(DATABASE.settings())) {
            catalog.requireMigrated();
        }
    }

    // --- moving a transcript in ---------------------------------------------------------------

    @Test
    void append_all_stores_the_entries_in_order_in_one_go_and_ends_their_replies_progress() throws SQLException {
        ConversationId id = freshId();
        try (PostgresConversationCatalog catalog = PostgresConversationCatalog.open(DATABASE.settings())) {
            catalog.create(id, Optional.empty(), T0);
            TranscriptStore transcript = catalog.transcript(id);
            transcript.append(user("first"));
            transcript.recordReplyProgress(new TurnId("turn-2"), "half a rep");

            List<TranscriptItem> appended = catalog.appendAll(id, List.of(
                    new TranscriptEntry(Role.USER, "second", T0.plusSeconds(1), "cli", ItemStatus.ACCEPTED,
                            new TurnId("turn-2")),
                    new TranscriptEntry(Role.ASSISTANT, "the reply\0", T0.plusSeconds(2), "offline",
                            ItemStatus.SUPERSEDED, new TurnId("turn-2"))));

            assertThat(appended).extracting(TranscriptItem::sequence).containsExactly(1L, 2L);
            assertThat(appended.get(1).content()).isEqualTo("the reply\uFFFD");
            assertThat(transcript.read(1, 10)).containsExactlyElementsOf(appended);
            assertThat(catalog.appendAll(id, List.of())).isEmpty();
            assertThatExceptionOfType(IllegalArgumentException.class)
                    .isThrownBy(() -> catalog.appendAll(freshId(), List.of(user("nowhere"))));
        }
        try (Connection connection = DATABASE.connect();
             PreparedStatement progress = connection.prepareStatement(
                     "SELECT count(*) FROM reply_progress WHERE conversation_id = ?")) {
            progress.setString(1, id.value());
            try (ResultSet count = progress.executeQuery()) {
                count.next();
                assertThat(count.getLong(1)).isZero();
            }
        }
    }
}
