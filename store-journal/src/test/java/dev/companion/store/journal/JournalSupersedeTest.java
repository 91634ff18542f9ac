package dev.companion.store.journal;

import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TurnId;
import dev.companion.core.port.StorageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static dev.companion.store.journal.JournalFixtures.brokenFiles;
import static dev.companion.store.journal.JournalFixtures.bytes;
import static dev.companion.store.journal.JournalFixtures.concat;
import static dev.companion.store.journal.JournalFixtures.index;
import static dev.companion.store.journal.JournalFixtures.journal;
import static dev.companion.store.journal.JournalFixtures.journalWithTurns;
import static dev.companion.store.journal.JournalFixtures.quiet;
import static dev.companion.store.journal.JournalFixtures.recordOffsets;
import static dev.companion.store.journal.JournalFixtures.reply;
import static dev.companion.store.journal.JournalFixtures.user;
import static dev.companion.store.journal.JournalFixtures.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** The status-change record: appended like an item, read back from the index, repaired like any record. */
class JournalSupersedeTest {

    @TempDir
    Path temp;

    private static List<ItemStatus> statuses(JournalTranscriptStore store) {
        return store.read(0, 100).stream().map(TranscriptItem::status).toList();
    }

    private static int headerVersion(Path directory) {
        return ByteBuffer.wrap(bytes(journal(directory))).getInt(8);
    }

    private static JournalConversationCatalog.Options verifying(JournalConversationCatalog.Verification verification) {
        return quiet().withVerification(verification);
    }

    /** A journal of two turns whose first reply (item 1) is superseded, closed. */
    private static Path withFirstReplySuperseded(Path directory) {
        journalWithTurns(directory, 2);
        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet())) {
            store.supersede(Set.of(1L));
        }
        return directory;
    }

    private static final List<ItemStatus> FIRST_REPLY_SUPERSEDED = List.of(
            ItemStatus.ACCEPTED, ItemStatus.SUPERSEDED, ItemStatus.ACCEPTED, ItemStatus.COMPLETED);

    @Test
    void a_journal_stays_version_1_until_its_first_supersede_which_appends_one_record_and_changes_only_the_header() {
        Path directory = temp.resolve("data");
        journalWithTurns(directory, 2);
        byte[] before = bytes(journal(directory));
        assertThat(headerVersion(directory)).isEqualTo(1);

        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet())) {
            store.supersede(Set.of(1L, 2L));
        }

        byte[] after = bytes(journal(directory));
        assertThat(headerVersion(directory)).isEqualTo(2);
        assertThat(Arrays.copyOfRange(after, 16, before.length)).isEqualTo(Arrays.copyOfRange(before, 16, before.length));
        assertThat(recordOffsets(directory)).hasSize(5);
        ByteBuffer record = ByteBuffer.wrap(after, before.length, after.length - before.length);
        assertThat(record.getInt()).isEqualTo(1 + 4 + 16);
        record.getInt();
        assertThat(record.get()).isEqualTo(JournalFormat.SUPERSEDE);
        assertThat(record.getInt()).isEqualTo(2);
        assertThat(record.getLong()).isEqualTo(1);
        assertThat(record.getLong()).isEqualTo(2);
    }

    @Test
    void superseding_again_writes_nothing_and_a_second_supersede_leaves_the_header_alone() {
        Path directory = withFirstReplySuperseded(temp.resolve("data"));
        byte[] once = bytes(journal(directory));

        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet())) {
            store.supersede(Set.of(1L));
            assertThat(bytes(journal(directory))).isEqualTo(once);
            store.supersede(Set.of(1L, 3L));
            assertThat(statuses(store)).containsExactly(
                    ItemStatus.ACCEPTED, ItemStatus.SUPERSEDED, ItemStatus.ACCEPTED, ItemStatus.SUPERSEDED);
        }
        assertThat(headerVersion(directory)).isEqualTo(2);
        assertThat(recordOffsets(directory)).hasSize(6);
    }

    @ParameterizedTest
    @EnumSource(JournalConversationCatalog.Verification.class)
    void a_deleted_index_is_rebuilt_with_the_superseded_flags(JournalConversationCatalog.Verification verification)
            throws IOException {
        Path directory = withFirstReplySuperseded(temp.resolve("data"));
        byte[] wholeIndex = bytes(index(directory));
        Files.delete(index(directory));

        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, verifying(verification))) {
            assertThat(statuses(store)).containsExactlyElementsOf(FIRST_REPLY_SUPERSEDED);
        }
        assertThat(bytes(index(directory))).isEqualTo(wholeIndex);
    }

    @ParameterizedTest
    @EnumSource(JournalConversationCatalog.Verification.class)
    void a_flag_lost_from_the_index_before_a_crash_is_restored_from_the_record(
            JournalConversationCatalog.Verification verification) {
        Path directory = withFirstReplySuperseded(temp.resolve("data"));
        byte[] wholeIndex = bytes(index(directory));
        byte[] unflagged = wholeIndex.clone();
        unflagged[8] &= 0x7F;
        write(index(directory), unflagged);

        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, verifying(verification))) {
            assertThat(statuses(store)).containsExactlyElementsOf(FIRST_REPLY_SUPERSEDED);
        }
        assertThat(bytes(index(directory))).isEqualTo(wholeIndex);
    }

    @Test
    void a_flag_in_the_index_that_no_record_names_is_cleared_by_a_full_check() {
        Path directory = temp.resolve("data");
        List<TranscriptItem> items = journalWithTurns(directory, 2);
        byte[] wholeIndex = bytes(index(directory));
        byte[] flagged = wholeIndex.clone();
        flagged[16] |= (byte) 0x80;
        write(index(directory), flagged);

        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet())) {
            assertThat(store.read(0, 10)).containsExactlyElementsOf(items);
        }
        assertThat(bytes(index(directory))).isEqualTo(wholeIndex);
    }

    @ParameterizedTest
    @EnumSource(JournalConversationCatalog.Verification.class)
    void the_supersede_record_cut_at_every_byte_is_repaired_and_the_item_keeps_its_status(
            JournalConversationCatalog.Verification verification) {
        Path original = withFirstReplySuperseded(temp.resolve("original"));
        byte[] whole = bytes(journal(original));
        long record = recordOffsets(original).get(4);
        journalWithTurns(temp.resolve("unflagged"), 2);
        byte[] unflaggedIndex = bytes(index(temp.resolve("unflagged")));

        for (int at = (int) record + 1; at < whole.length; at++) {
            int cut = at;
            Path directory = temp.resolve(verification + "-cut-" + cut);
            write(journal(directory), Arrays.copyOf(whole, cut));
            write(index(directory), unflaggedIndex);

            try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, verifying(verification))) {
                assertThat(statuses(store)).as("cut at %d", cut).containsExactly(
                        ItemStatus.ACCEPTED, ItemStatus.COMPLETED, ItemStatus.ACCEPTED, ItemStatus.COMPLETED);
                assertThat(store.diagnostics()).extracting(d -> d.code()).as("cut at %d", cut)
                        .containsExactly(DiagnosticCode.JOURNAL_TAIL_REPAIRED);
                if (cut > record + JournalFormat.FRAME_HEADER) {
                    assertThat(store.diagnostics().get(0).message()).as("cut at %d", cut)
                            .contains("a change of status (items marked superseded), from the damaged record at byte "
                                    + record);
                }
            }
            assertThat(brokenFiles(directory)).as("cut at %d", cut).singleElement()
                    .satisfies(broken -> assertThat(bytes(broken))
                            .isEqualTo(Arrays.copyOfRange(whole, (int) record, cut)));
        }
    }

    @Test
    void a_supersede_record_naming_an_item_not_before_it_refuses_the_open() {
        Path directory = temp.resolve("data");
        journalWithTurns(directory, 1);
        byte[] whole = bytes(journal(directory));
        ByteBuffer record = ByteBuffer.allocate(64);
        JournalFormat.frame(JournalFormat.supersedeBody(new long[] {2}), record);
        byte[] damaged = concat(whole, Arrays.copyOf(record.array(), record.position()));
        write(journal(directory), damaged);

        assertThatExceptionOfType(JournalCorruptedException.class)
                .isThrownBy(() -> JournalTranscriptStore.open(directory, quiet()))
                .withMessageContaining("byte " + whole.length)
                .withMessageContaining("supersedes item 2");
        assertThat(bytes(journal(directory))).isEqualTo(damaged);
    }

    @Test
    void a_header_torn_while_it_became_version_2_is_finished_at_open() {
        Path directory = withFirstReplySuperseded(temp.resolve("data"));
        byte[] torn = bytes(journal(directory));
        byte[] first = JournalFormat.header(JournalFormat.VERSION_1).array();
        System.arraycopy(first, 12, torn, 12, 2); // half of the checksum is still the version 1 header's
        write(journal(directory), torn);

        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet())) {
            assertThat(statuses(store)).containsExactlyElementsOf(FIRST_REPLY_SUPERSEDED);
        }
        assertThat(Arrays.copyOf(bytes(journal(directory)), 16))
                .isEqualTo(JournalFormat.header(JournalFormat.VERSION_2).array());
    }

    @Test
    void supersede_after_appends_in_the_same_session_and_progress_still_recovers() {
        Path directory = temp.resolve("data");
        TurnId turn = new TurnId("turn-a");
        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet())) {
            store.append(user(turn, "hello"));
            store.append(reply(turn, "first answer"));
            store.supersede(Set.of(1L));
            TurnId again = new TurnId("turn-b");
            store.append(user(again, "hello again"));
            store.recordReplyProgress(again, "a new ans");
        }

        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet())) {
            assertThat(statuses(store)).containsExactly(
                    ItemStatus.ACCEPTED, ItemStatus.SUPERSEDED, ItemStatus.ACCEPTED, ItemStatus.INTERRUPTED);
            assertThat(store.read(3, 1).get(0).content()).isEqualTo("a new ans");
        }
    }

    @ParameterizedTest
    @EnumSource(JournalConversationCatalog.Verification.class)
    void supersedes_among_concurrent_appends_all_survive_a_reopen(JournalConversationCatalog.Verification verification)
            throws Exception {
        Path directory = temp.resolve("data");
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet())) {
            for (int i = 0; i < 20; i++) {
                store.append(user(new TurnId("early-" + i), "early " + i));
            }
            java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<?>> writers = new java.util.ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int thread = t;
                writers.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < 30; i++) {
                        store.append(user(new TurnId("w" + thread + "-" + i), "late"));
                    }
                    return null;
                }));
            }
            writers.add(pool.submit(() -> {
                start.await();
                for (long i = 0; i < 20; i += 2) {
                    store.supersede(Set.of(i));
                }
                return null;
            }));
            start.countDown();
            for (java.util.concurrent.Future<?> writer : writers) {
                writer.get(60, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, verifying(verification))) {
            // Every item is a user message, so the last one also gets an interrupted reply at open.
            assertThat(store.size()).isEqualTo(111);
            List<TranscriptItem> items = store.read(0, 110);
            for (TranscriptItem item : items) {
                boolean superseded = item.sequence() < 20 && item.sequence() % 2 == 0;
                assertThat(item.status()).as("item %d", item.sequence())
                        .isEqualTo(superseded ? ItemStatus.SUPERSEDED : ItemStatus.ACCEPTED);
            }
        }
    }

    @Test
    void a_failed_force_of_the_record_is_reported_and_the_record_cut_back() throws IOException {
        Path directory = temp.resolve("data");
        FaultyFiles files = new FaultyFiles();
        List<TranscriptItem> items;
        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet(), files)) {
            store.append(user(new TurnId("t"), "q"));
            store.append(reply(new TurnId("t"), "a"));
            store.supersede(Set.of(0L));
            items = store.read(0, 10);
            long size = Files.size(journal(directory));
            files.failForces = true;

            assertThatExceptionOfType(StorageException.class).isThrownBy(() -> store.supersede(Set.of(1L)))
                    .satisfies(e -> assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.STORAGE_WRITE_FAILED));

            files.heal();
            assertThat(Files.size(journal(directory))).isEqualTo(size);
            assertThat(store.read(0, 10)).containsExactlyElementsOf(items);
        }
        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet())) {
            assertThat(store.read(0, 10)).containsExactlyElementsOf(items);
            assertThat(store.diagnostics()).isEmpty();
        }
    }

    @Test
    void a_failed_force_of_the_new_header_is_reported_and_changes_nothing() throws IOException {
        Path directory = temp.resolve("data");
        FaultyFiles files = new FaultyFiles();
        List<TranscriptItem> items;
        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet(), files)) {
            items = List.of(store.append(user(new TurnId("t"), "q")), store.append(reply(new TurnId("t"), "a")));
            long size = Files.size(journal(directory));
            files.failForces = true;

            assertThatExceptionOfType(StorageException.class).isThrownBy(() -> store.supersede(Set.of(1L)))
                    .satisfies(e -> assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.STORAGE_WRITE_FAILED));

            files.heal();
            assertThat(store.read(0, 10)).containsExactlyElementsOf(items);
            assertThat(Files.size(journal(directory))).isLessThanOrEqualTo(size);
        }
        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet())) {
            assertThat(store.read(0, 10)).containsExactlyElementsOf(items);
        }
    }

    @Test
    void a_failed_force_of_the_index_undoes_the_record_and_the_flags() {
        Path directory = temp.resolve("data");
        FaultyFiles files = new FaultyFiles();
        List<TranscriptItem> items;
        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet(), files)) {
            items = List.of(store.append(user(new TurnId("t"), "q")), store.append(reply(new TurnId("t"), "a")));
            store.supersede(Set.of(0L));
            items = List.of(store.read(0, 1).get(0), items.get(1));
            int records = recordOffsets(directory).size();
            files.failIndexForces = true;

            assertThatExceptionOfType(StorageException.class).isThrownBy(() -> store.supersede(Set.of(1L)));

            assertThat(store.read(0, 10)).containsExactlyElementsOf(items);
            assertThat(recordOffsets(directory)).hasSize(records);
            files.heal();
            store.supersede(Set.of(1L));
            assertThat(statuses(store)).containsExactly(ItemStatus.SUPERSEDED, ItemStatus.SUPERSEDED);
        }
    }
}
