package dev.companion.store.journal;

import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TurnId;
import dev.companion.core.port.StorageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;

import static dev.companion.store.journal.JournalFixtures.brokenFiles;
import static dev.companion.store.journal.JournalFixtures.bytes;
import static dev.companion.store.journal.JournalFixtures.concat;
import static dev.companion.store.journal.JournalFixtures.index;
import static dev.companion.store.journal.JournalFixtures.journal;
import static dev.companion.store.journal.JournalFixtures.journalWithTurns;
import static dev.companion.store.journal.JournalFixtures.quiet;
import static dev.companion.store.journal.JournalFixtures.recordOffsets;
import static dev.companion.store.journal.JournalFixtures.user;
import static dev.companion.store.journal.JournalFixtures.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class JournalRecoveryTest {

    @TempDir
    Path temp;

    private static JournalConversationCatalog.Options verifying(JournalConversationCatalog.Verification verification) {
        return quiet().withVerification(verification);
    }

    private static List<DiagnosticCode> codes(JournalTranscriptStore store) {
        return store.diagnostics().stream().map(Diagnostic::code).toList();
    }

    // --- a torn last record -------------------------------------------------------------------

    // Cuts and flipped bytes at every offset of the last records: JournalTailDamageTest.

    @Test
    void a_journal_ending_at_a_record_boundary_needs_no_repair() {
        Path directory = temp.resolve("data");
        List<TranscriptItem> items = journalWithTurns(directory, 2);
        byte[] whole = bytes(journal(directory));
        write(journal(directory), Arrays.copyOf(whole, recordOffsets(directory).get(3).intValue()));
        // A crash before the last write: its index entry, written after the record, is missing too.
        write(index(directory), Arrays.copyOf(bytes(index(directory)), 3 * 8));

        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet())) {
            assertThat(store.read(0, 3)).containsExactlyElementsOf(items.subList(0, 3));
            assertThat(codes(store)).containsExactly(DiagnosticCode.JOURNAL_RECOVERED_INTERRUPTED_REPLY);
        }
        assertThat(brokenFiles(directory)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"garbage", "nuls", "garbage-then-nuls"})
    void garbage_after_the_last_record_is_cut_and_kept(String kind) {
        Path directory = temp.resolve("data");
        List<TranscriptItem> items = journalWithTurns(directory, 3);
        byte[] whole = bytes(journal(directory));
        byte[] garbage = new byte[1000];
        new Random(42).nextBytes(garbage);
        byte[] nuls = new byte[4096];
        byte[] tail = switch (kind) {
            case "garbage" -> garbage;
            case "nuls" -> nuls;
            default -> concat(garbage, nuls);
        };
        write(journal(directory), concat(whole, tail));

        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet())) {
            assertThat(store.read(0, 10)).containsExactlyElementsOf(items);
            assertThat(codes(store)).containsExactly(DiagnosticCode.JOURNAL_TAIL_REPAIRED);
            assertThat(store.diagnostics().get(0).message()).contains(tail.length + " bytes")
                    .doesNotContain(temp.toString());
        }
        assertThat(bytes(journal(directory))).isEqualTo(whole);
        assertThat(brokenFiles(directory)).singleElement().satisfies(broken -> {
            assertThat(broken.getFileName().toString()).matches("companion\\.journal\\.\\d{8}T\\d{6}\\.\\d{3}Z\\.broken");
            assertThat(bytes(broken)).isEqualTo(tail);
        });
    }

    @Test
    void a_second_repair_keeps_the_first_broken_file() {
        Path directory = temp.resolve("data");
        journalWithTurns(directory, 1);
        for (int round = 0; round < 2; round++) {
            write(journal(directory), concat(bytes(journal(directory)), new byte[] {7, 7, 7}));
            JournalTranscriptStore.open(directory, quiet()).close();
        }

        assertThat(brokenFiles(directory)).hasSize(2);
    }

    // --- damage before the tail ---------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(ints = {2, 5, 12, 20})
    void a_byte_flipped_in_a_middle_record_refuses_the_open_and_changes_nothing(int byteInRecord) {
        Path directory = temp.resolve("data");
        journalWithTurns(directory, 4);
        long record4 = recordOffsets(directory).get(3);
        byte[] damaged = bytes(journal(directory));
        damaged[(int) record4 + byteInRecord] ^= 0x5A;
        write(journal(directory), damaged);
        byte[] indexBefore = bytes(index(directory));

        assertThatExceptionOfType(JournalCorruptedException.class)
                .isThrownBy(() -> JournalTranscriptStore.open(directory, quiet()))
                .satisfies(e -> {
                    assertThat(e.getMessage()).contains("record 4 at byte " + record4)
                            .doesNotContain(temp.toString());
                    assertThat(e.offset()).isEqualTo(record4);
                    assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.JOURNAL_CORRUPTED);
                });
        assertThat(bytes(journal(directory))).isEqualTo(damaged);
        assertThat(bytes(index(directory))).isEqualTo(indexBefore);
        assertThat(brokenFiles(directory)).isEmpty();
    }

    @Test
    void a_refused_journal_still_refuses_without_its_index() throws IOException {
        Path directory = temp.resolve("data");
        journalWithTurns(directory, 4);
        long record2 = recordOffsets(directory).get(1);
        byte[] damaged = bytes(journal(directory));
        damaged[(int) record2 + 1] ^= 0x7F;  // the length itself: the next record must be found by searching
        write(journal(directory), damaged);
        Files.delete(index(directory));

        assertThatExceptionOfType(JournalCorruptedException.class)
                .isThrownBy(() -> JournalTranscriptStore.open(directory, quiet()))
                .withMessageContaining("record 2 at byte " + record2);
        assertThat(bytes(journal(directory))).isEqualTo(damaged);
    }

    @Test
    void with_tail_verification_damage_before_the_tail_is_found_when_its_page_is_read() {
        Path directory = temp.resolve("data");
        List<TranscriptItem> items = journalWithTurns(directory, 4);
        long record2 = recordOffsets(directory).get(1);
        byte[] damaged = bytes(journal(directory));
        damaged[(int) record2 + 20] ^= 0x01;
        write(journal(directory), damaged);

        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory,
                verifying(JournalConversationCatalog.Verification.TAIL))) {
            assertThat(store.read(4, 4)).containsExactlyElementsOf(items.subList(4, 8));
            assertThatExceptionOfType(JournalCorruptedException.class)
                    .isThrownBy(() -> store.read(0, 4))
                    .withMessageContaining("byte " + record2);
        }
    }

    @Test
    void a_file_that_is_not_a_journal_is_refused_and_left_alone() {
        Path directory = temp.resolve("data");
        byte[] text = "these are somebody's notes, not a journal\n".getBytes(StandardCharsets.UTF_8);
        write(journal(directory), text);

        assertThatExceptionOfType(JournalCorruptedException.class)
                .isThrownBy(() -> JournalTranscriptStore.open(directory, quiet()))
                .withMessageContaining("header");
        assertThat(bytes(journal(directory))).isEqualTo(text);
    }

    @Test
    void a_journal_from_a_newer_format_is_refused() {
        Path directory = temp.resolve("data");
        ByteBuffer header = ByteBuffer.allocate(16).put("CMPNJRNL".getBytes(StandardCharsets.US_ASCII)).putInt(3);
        CRC32C crc = new CRC32C();
        crc.update(header.array(), 0, 12);
        header.putInt((int) crc.getValue());
        write(journal(directory), header.array());

        assertThatExceptionOfType(StorageException.class)
                .isThrownBy(() -> JournalTranscriptStore.open(directory, quiet()))
                .satisfies(e -> assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.JOURNAL_UNSUPPORTED_VERSION))
                .withMessageContaining("version 3");
    }

    // --- empty and missing --------------------------------------------------------------------

    @Test
    void an_empty_journal_file_is_an_empty_transcript() {
        Path directory = temp.resolve("data");
        write(journal(directory), new byte[0]);

        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet())) {
            assertThat(store.size()).isZero();
            assertThat(store.diagnostics()).isEmpty();
            assertThat(store.append(user(new TurnId("t"), "first")).sequence()).isZero();
        }
        assertThat(bytes(journal(directory))).startsWith("CMPNJRNL".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void a_missing_journal_and_directory_are_an_empty_transcript() {
        Path directory = temp.resolve("not/yet/there");

        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet())) {
            assertThat(store.size()).isZero();
            assertThat(store.read(0, 10)).isEmpty();
            assertThat(store.diagnostics()).isEmpty();
        }
        assertThat(journal(directory)).exists();
    }

    @Test
    void a_header_torn_at_creation_is_an_empty_transcript() {
        Path directory = temp.resolve("data");
        journalWithTurns(directory, 0);
        byte[] header = bytes(journal(directory));
        write(journal(directory), Arrays.copyOf(header, 7));

        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet())) {
            assertThat(store.size()).isZero();
            assertThat(codes(store)).containsExactly(DiagnosticCode.JOURNAL_TAIL_REPAIRED);
        }
        assertThat(bytes(journal(directory))).isEqualTo(header);
    }

    // --- the index ----------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(JournalConversationCatalog.Verification.class)
    void a_deleted_index_is_rebuilt(JournalConversationCatalog.Verification verification) throws IOException {
        Path directory = temp.resolve("data");
        List<TranscriptItem> items = journalWithTurns(directory, 30);
        byte[] wholeIndex = bytes(index(directory));
        Files.delete(index(directory));

        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, verifying(verification))) {
            assertThat(store.read(37, 10)).containsExactlyElementsOf(items.subList(37, 47));
            assertThat(store.read(55, 10)).containsExactlyElementsOf(items.subList(55, 60));
        }
        assertThat(bytes(index(directory))).hasSize(60 * 8).isEqualTo(wholeIndex);
    }

    @ParameterizedTest
    @EnumSource(JournalConversationCatalog.Verification.class)
    void a_short_index_is_completed(JournalConversationCatalog.Verification verification) {
        Path directory = temp.resolve("data");
        List<TranscriptItem> items = journalWithTurns(directory, 30);
        byte[] wholeIndex = bytes(index(directory));
        write(index(directory), Arrays.copyOf(wholeIndex, 21 * 8 + 3));

        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, verifying(verification))) {
            assertThat(store.read(50, 10)).containsExactlyElementsOf(items.subList(50, 60));
        }
        assertThat(bytes(index(directory))).isEqualTo(wholeIndex);
    }

    @ParameterizedTest
    @EnumSource(JournalConversationCatalog.Verification.class)
    void a_scrambled_index_is_rebuilt(JournalConversationCatalog.Verification verification) {
        Path directory = temp.resolve("data");
        List<TranscriptItem> items = journalWithTurns(directory, 30);
        byte[] wholeIndex = bytes(index(directory));
        byte[] scrambled = new byte[wholeIndex.length];
        new Random(7).nextBytes(scrambled);
        write(index(directory), scrambled);

        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, verifying(verification))) {
            assertThat(store.read(10, 10)).containsExactlyElementsOf(items.subList(10, 20));
        }
        assertThat(bytes(index(directory))).isEqualTo(wholeIndex);
    }

    @Test
    void an_index_longer_than_the_journal_is_trimmed() {
        Path directory = temp.resolve("data");
        List<TranscriptItem> items = journalWithTurns(directory, 3);
        byte[] wholeIndex = bytes(index(directory));
        write(index(directory), concat(wholeIndex, new byte[64]));

        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet())) {
            assertThat(store.size()).isEqualTo(6);
            assertThat(store.read(0, 10)).containsExactlyElementsOf(items);
        }
        assertThat(bytes(index(directory))).isEqualTo(wholeIndex);
    }

    // --- interrupted replies ------------------------------------------------------------------

    @Test
    void a_reply_cut_short_by_a_crash_comes_back_interrupted_with_the_text_that_was_forced() {
        Path directory = temp.resolve("data");
        TurnId turn = new TurnId("turn-a");
        JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet());
        store.append(user(turn, "tell me a story"));
        store.recordReplyProgress(turn, "Once upon");
        store.recordReplyProgress(turn, " a time");
        store.sync();
        store.recordReplyProgress(turn, ", never forced");
        store.abandon();

        try (JournalTranscriptStore reopened = JournalTranscriptStore.open(directory,
                quiet().withClock(java.time.Clock.fixed(JournalFixtures.T0.plusSeconds(60), java.time.ZoneOffset.UTC)))) {
            assertThat(reopened.size()).isEqualTo(2);
            TranscriptItem recovered = reopened.read(1, 1).get(0);
            assertThat(recovered).isEqualTo(new TranscriptItem(1, Role.ASSISTANT, "Once upon a time",
                    JournalFixtures.T0.plusSeconds(60), JournalTranscriptStore.RECOVERED_SOURCE, ItemStatus.INTERRUPTED, turn));
            assertThat(reopened.diagnostics()).singleElement().satisfies(d -> {
                assertThat(d.code()).isEqualTo(DiagnosticCode.JOURNAL_RECOVERED_INTERRUPTED_REPLY);
                assertThat(d.message()).contains("16 characters");
            });
        }
    }

    @Test
    void a_crash_before_any_reply_text_leaves_an_empty_interrupted_reply() {
        Path directory = temp.resolve("data");
        TurnId turn = new TurnId("turn-a");
        JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet());
        store.append(user(turn, "hello?"));
        store.abandon();

        try (JournalTranscriptStore reopened = JournalTranscriptStore.open(directory, quiet())) {
            assertThat(reopened.read(1, 1)).singleElement().satisfies(item -> {
                assertThat(item.status()).isEqualTo(ItemStatus.INTERRUPTED);
                assertThat(item.content()).isEmpty();
                assertThat(item.turnId()).isEqualTo(turn);
            });
        }
    }

    @Test
    void long_progress_is_written_without_waiting_for_a_force() {
        Path directory = temp.resolve("data");
        TurnId turn = new TurnId("turn-a");
        JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet());
        store.append(user(turn, "go on"));
        String text = "word ".repeat(1000);
        for (int i = 0; i < text.length(); i += 5) {
            store.recordReplyProgress(turn, text.substring(i, i + 5));
        }
        // A killed process leaves what it wrote to the OS; only progress still buffered in memory is lost.
        store.abandon();

        try (JournalTranscriptStore reopened = JournalTranscriptStore.open(directory, quiet())) {
            String recovered = reopened.read(1, 1).get(0).content();
            assertThat(recovered).isNotEmpty();
            assertThat(text).startsWith(recovered);
        }
    }

    @Test
    void progress_is_forced_periodically_without_an_append() throws Exception {
        Path directory = temp.resolve("data");
        TurnId turn = new TurnId("turn-a");
        FaultyFiles files = new FaultyFiles();
        JournalTranscriptStore store = JournalTranscriptStore.open(directory,
                JournalConversationCatalog.Options.defaults().withProgressSyncInterval(java.time.Duration.ofMillis(20)), files);
        store.append(user(turn, "hi"));
        files.written.drainPermits();
        files.forced.drainPermits();
        store.recordReplyProgress(turn, "Hel");

        assertThat(files.written.tryAcquire(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(files.forced.tryAcquire(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        store.abandon();

        try (JournalTranscriptStore reopened = JournalTranscriptStore.open(directory, quiet())) {
            assertThat(reopened.read(1, 1).get(0).content()).isEqualTo("Hel");
        }
    }

    @Test
    void a_completed_reply_is_not_recovered_even_if_progress_followed_in_another_turn_that_ended() {
        Path directory = temp.resolve("data");
        TurnId first = new TurnId("turn-1");
        TurnId second = new TurnId("turn-2");
        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet())) {
            store.append(user(first, "one"));
            store.recordReplyProgress(first, "par");
            store.sync();
            store.append(JournalFixtures.reply(first, "partial and done"));
            store.append(user(second, "two"));
            store.recordReplyProgress(second, "sec");
            store.sync();
            store.append(JournalFixtures.reply(second, "second done"));
        }

        try (JournalTranscriptStore reopened = JournalTranscriptStore.open(directory, quiet())) {
            assertThat(reopened.size()).isEqualTo(4);
            assertThat(reopened.diagnostics()).isEmpty();
        }
    }
}
