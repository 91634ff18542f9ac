package dev.companion.store.journal;

import dev.companion.core.model.CompanionState;
import dev.companion.core.model.CompanionStatus;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.Role;
import dev.companion.core.model.Severity;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TurnId;
import dev.companion.prompts.ClasspathPromptCatalog;
import dev.companion.runtime.CompanionRuntime;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static dev.companion.store.journal.JournalFixtures.brokenFiles;
import static dev.companion.store.journal.JournalFixtures.bytes;
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

/**
 * Damage at every byte of a journal's last records. A repair cannot know whether the bytes it cuts were
 * acknowledged, so it must name what it drops, keep the bytes, and never say they were unacknowledged.
 */
class JournalTailDamageTest {

    @TempDir
    static Path prepared;

    @TempDir
    Path temp;

    /** Two whole turns (items 0 to 3), all acknowledged; the last record is item 3, the reply of turn-1. */
    private static List<TranscriptItem> items;
    private static byte[] whole;
    private static byte[] wholeIndex;
    private static int lastRecord;
    private static int recordBefore;
    /** How many bytes at the end of the last record hold its content field (length and text). */
    private static int contentField;

    private int cases;

    @BeforeAll
    static void prepareOneJournal() {
        Path directory = prepared.resolve("data");
        items = journalWithTurns(directory, 2);
        whole = bytes(journal(directory));
        wholeIndex = bytes(index(directory));
        List<Long> offsets = recordOffsets(directory);
        lastRecord = offsets.get(3).intValue();
        recordBefore = offsets.get(2).intValue();
        contentField = 4 + items.get(3).content().getBytes(StandardCharsets.UTF_8).length;
        assertThat(offsets).hasSize(4);
    }

    /** Whether the damaged journal is opened with its index as it was, or with the index lost too. */
    enum Index { KEPT, LOST }

    /** What one open of a damaged journal left. */
    record Opened(List<TranscriptItem> items, List<Diagnostic> diagnostics, List<Path> broken, byte[] journal) {

        Diagnostic only(DiagnosticCode code) {
            return diagnostics.stream().filter(d -> d.code() == code).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + code + " in " + diagnostics));
        }
    }

    /** Writes the damaged journal (and the index as it was, if kept) to a new directory, opens and closes it. */
    private Opened openDamaged(byte[] damaged, Index kept, JournalConversationCatalog.Verification verification) {
        return openDamaged(damaged, kept, verification, JournalFixtures.UNFORCED);
    }

    private Opened openDamaged(byte[] damaged, Index kept, JournalConversationCatalog.Verification verification,
                               JournalFile.Opener files) {
        Path directory = temp.resolve("case-" + cases++);
        write(journal(directory), damaged);
        if (kept == Index.KEPT) {
            write(index(directory), wholeIndex);
        }
        List<TranscriptItem> read;
        List<Diagnostic> diagnostics;
        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet().withVerification(verification),
                files)) {
            read = store.read(0, 100);
            diagnostics = store.diagnostics();
        }
        return new Opened(read, diagnostics, brokenFiles(directory), bytes(journal(directory)));
    }

    /**
     * What every repair of the last record must do, whatever the damage. {@code cutBytes} is what is left of
     * the damaged record: the repair cuts it and keeps it, byte for byte, in the .broken file.
     */
    private void assertRepairedHonestly(Opened opened, String damage, byte[] cutBytes) {
        assertThat(opened.items()).as(damage).hasSize(4).startsWith(items.get(0), items.get(1), items.get(2));
        assertThat(opened.items().get(3)).as(damage).satisfies(item -> {
            assertThat(item.sequence()).isEqualTo(3);
            assertThat(item.role()).isEqualTo(Role.ASSISTANT);
            assertThat(item.status()).isEqualTo(ItemStatus.INTERRUPTED);
            assertThat(item.source()).isEqualTo(JournalTranscriptStore.RECOVERED_SOURCE);
            assertThat(item.turnId()).isEqualTo(new TurnId("turn-1"));
            assertThat(item.content()).isEmpty();
        });
        assertThat(Arrays.copyOf(opened.journal(), lastRecord)).as(damage).isEqualTo(Arrays.copyOf(whole, lastRecord));
        for (Diagnostic diagnostic : opened.diagnostics()) {
            assertThat(diagnostic.message()).as(damage)
                    .doesNotContainIgnoringCase("never acknowledged")
                    .doesNotContainIgnoringCase("not acknowledged")
                    .doesNotContain(temp.toString())
                    .doesNotContain("/");
        }

        Diagnostic repaired = opened.only(DiagnosticCode.JOURNAL_TAIL_REPAIRED);
        assertThat(repaired.severity()).as(damage).isEqualTo(Severity.WARNING);
        assertThat(repaired.message()).as(damage)
                .contains("item 3")
                .contains("may have been acknowledged");
        if (cutBytes.length > 0) {
            assertThat(opened.broken()).as(damage).singleElement()
                    .satisfies(broken -> assertThat(bytes(broken)).as(damage).isEqualTo(cutBytes));
            assertThat(repaired.message()).as(damage)
                    .contains(cutBytes.length + (cutBytes.length == 1 ? " byte " : " bytes ") + "from byte " + lastRecord)
                    .contains(opened.broken().get(0).getFileName().toString());
        } else {
            assertThat(opened.broken()).as(damage).isEmpty();
        }

        // The interrupted reply stands where a stored reply may have been: it must not pass for a plain crash.
        assertThat(opened.only(DiagnosticCode.JOURNAL_RECOVERED_INTERRUPTED_REPLY).message()).as(damage)
                .contains("item 3")
                .contains("journal_tail_repaired");
    }

    // --- cuts -----------------------------------------------------------------------------------

    @Test
    void cutting_seven_bytes_off_an_acknowledged_reply_names_it_and_never_calls_it_unacknowledged() {
        byte[] cut = Arrays.copyOf(whole, whole.length - 7);

        Opened opened = openDamaged(cut, Index.KEPT, JournalConversationCatalog.Verification.FULL, JournalFile.Opener.CHANNELS);

        assertRepairedHonestly(opened, "7 bytes cut", Arrays.copyOfRange(whole, lastRecord, whole.length - 7));
        assertThat(opened.only(DiagnosticCode.JOURNAL_TAIL_REPAIRED).message())
                .contains("item 3 (an assistant reply, turn turn-1), from the damaged record at byte " + lastRecord);
        assertThat(opened.only(DiagnosticCode.JOURNAL_RECOVERED_INTERRUPTED_REPLY).message())
                .contains("The stored reply of turn turn-1 was damaged at the end of the journal and cut off");
    }

    @Test
    void status_shows_the_lost_reply_as_a_warning_while_the_companion_is_ready() {
        Path directory = temp.resolve("data");
        write(journal(directory), Arrays.copyOf(whole, whole.length - 7));
        write(index(directory), wholeIndex);

        JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet());
        try (CompanionRuntime runtime = CompanionRuntime.builder().prompts(new ClasspathPromptCatalog()).store(store).build()) {
            CompanionStatus status = runtime.companion().status();
            assertThat(status.state()).isEqualTo(CompanionState.READY);
            assertThat(status.diagnostics()).filteredOn(d -> d.code() == DiagnosticCode.JOURNAL_TAIL_REPAIRED)
                    .singleElement().satisfies(d -> {
                        assertThat(d.severity()).isEqualTo(Severity.WARNING);
                        assertThat(d.message()).contains("item 3 (an assistant reply, turn turn-1)");
                    });
        }
    }

    @ParameterizedTest
    @EnumSource(JournalConversationCatalog.Verification.class)
    void every_cut_into_the_last_record_keeps_what_came_before_and_names_the_reply_it_drops(
            JournalConversationCatalog.Verification verification) {
        int length = whole.length - lastRecord;
        for (int k = 1; k <= length; k++) {
            String damage = k + " bytes cut";
            byte[] cutBytes = Arrays.copyOfRange(whole, lastRecord, whole.length - k);

            Opened opened = openDamaged(Arrays.copyOf(whole, whole.length - k), Index.KEPT, verification);

            assertRepairedHonestly(opened, damage, cutBytes);
            String message = opened.only(DiagnosticCode.JOURNAL_TAIL_REPAIRED).message();
            if (k <= contentField) {
                // Only the reply's text is cut: what the record was is still readable.
                assertThat(message).as(damage).contains("item 3 (an assistant reply, turn turn-1)");
            }
            if (k == length) {
                // Nothing of the record is left; the index, written after it, says it was there.
                assertThat(message).as(damage).contains("item 3 (role and turn unknown), which the index places at byte "
                        + lastRecord);
            }
        }
    }

    @Test
    void without_its_index_a_cut_into_the_last_record_still_names_the_item_it_would_have_been() {
        int length = whole.length - lastRecord;
        for (int k = 1; k < length; k++) {
            String damage = k + " bytes cut, index lost";

            Opened opened = openDamaged(Arrays.copyOf(whole, whole.length - k), Index.LOST,
                    JournalConversationCatalog.Verification.FULL);

            assertRepairedHonestly(opened, damage, Arrays.copyOfRange(whole, lastRecord, whole.length - k));
        }
    }

    @Test
    void without_its_index_a_journal_cut_at_a_record_boundary_cannot_tell_and_says_the_reply_most_likely_never_ended() {
        Opened opened = openDamaged(Arrays.copyOf(whole, lastRecord), Index.LOST, JournalConversationCatalog.Verification.FULL);

        assertThat(opened.items()).startsWith(items.get(0), items.get(1), items.get(2)).hasSize(4);
        assertThat(opened.diagnostics()).extracting(Diagnostic::code)
                .containsExactly(DiagnosticCode.JOURNAL_RECOVERED_INTERRUPTED_REPLY);
        assertThat(opened.diagnostics().get(0).message()).contains("most likely because the server stopped");
        assertThat(opened.broken()).isEmpty();
    }

    // --- flipped bytes --------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Index.class)
    void every_flipped_byte_of_the_last_record_keeps_what_came_before_and_names_the_reply_it_drops(Index kept) {
        for (int at = lastRecord; at < whole.length; at++) {
            String damage = "byte " + at + " flipped, index " + kept;
            byte[] damaged = whole.clone();
            damaged[at] ^= 0x5A;

            Opened opened = openDamaged(damaged, kept, JournalConversationCatalog.Verification.FULL);

            assertRepairedHonestly(opened, damage, Arrays.copyOfRange(damaged, lastRecord, damaged.length));
            String message = opened.only(DiagnosticCode.JOURNAL_TAIL_REPAIRED).message();
            // A damaged record can say wrong things: only what fits the transcript is named.
            assertThat(message).as(damage).containsAnyOf(
                    "item 3 (an assistant reply, turn turn-1)",
                    "item 3 (an assistant reply, turn unreadable)",
                    "item 3 (role unreadable)",
                    "which would have been item 3 had they held an item");
            boolean inChecksum = at >= lastRecord + 4 && at < lastRecord + 8;
            boolean inContent = at >= whole.length - contentField;
            if (inChecksum || inContent) {
                assertThat(message).as(damage).contains("item 3 (an assistant reply, turn turn-1)");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Index.class)
    void every_flipped_byte_of_the_record_before_the_last_refuses_the_open_and_changes_nothing(Index kept) {
        for (int at = recordBefore; at < lastRecord; at++) {
            String damage = "byte " + at + " flipped, index " + kept;
            byte[] damaged = whole.clone();
            damaged[at] ^= 0x5A;
            Path directory = temp.resolve("case-" + cases++);
            write(journal(directory), damaged);
            if (kept == Index.KEPT) {
                write(index(directory), wholeIndex);
            }

            assertThatExceptionOfType(JournalCorruptedException.class).as(damage)
                    .isThrownBy(() -> JournalTranscriptStore.open(directory, quiet(), JournalFixtures.UNFORCED))
                    .satisfies(e -> {
                        assertThat(e.offset()).as(damage).isEqualTo(recordBefore);
                        assertThat(e.getMessage()).as(damage).contains("record 3 at byte " + recordBefore);
                    });
            assertThat(bytes(journal(directory))).as(damage).isEqualTo(damaged);
            assertThat(brokenFiles(directory)).as(damage).isEmpty();
        }
    }

    @Test
    void with_tail_verification_a_flipped_byte_before_the_last_record_is_found_when_its_page_is_read() {
        for (int at = recordBefore; at < lastRecord; at++) {
            String damage = "byte " + at + " flipped";
            byte[] damaged = whole.clone();
            damaged[at] ^= 0x5A;
            Path directory = temp.resolve("case-" + cases++);
            write(journal(directory), damaged);
            write(index(directory), wholeIndex);

            try (JournalTranscriptStore store = JournalTranscriptStore.open(directory,
                    quiet().withVerification(JournalConversationCatalog.Verification.TAIL), JournalFixtures.UNFORCED)) {
                assertThat(store.read(3, 1)).as(damage).containsExactly(items.get(3));
                assertThatExceptionOfType(JournalCorruptedException.class).as(damage)
                        .isThrownBy(() -> store.read(0, 4))
                        .withMessageContaining("byte " + recordBefore);
            }
            assertThat(bytes(journal(directory))).as(damage).isEqualTo(damaged);
        }
    }

    // --- what else a cut can hold -----------------------------------------------------------------

    @Test
    void a_torn_reply_after_progress_comes_back_with_the_progress_text_and_is_called_a_damaged_stored_reply()
            throws IOException {
        Path directory = temp.resolve("data");
        TurnId turn = new TurnId("turn-p");
        long replyAt;
        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet())) {
            store.append(user(turn, "tell me"));
            store.recordReplyProgress(turn, "Once upon");
            store.sync();
            replyAt = Files.size(journal(directory));
            store.append(reply(turn, "Once upon a time."));
        }
        byte[] full = bytes(journal(directory));
        write(journal(directory), Arrays.copyOf(full, full.length - 3));

        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet())) {
            assertThat(store.read(1, 1)).singleElement().satisfies(item -> {
                assertThat(item.status()).isEqualTo(ItemStatus.INTERRUPTED);
                assertThat(item.content()).isEqualTo("Once upon");
            });
            assertThat(store.diagnostics()).extracting(Diagnostic::message).anySatisfy(message -> assertThat(message)
                    .contains("item 1 (an assistant reply, turn turn-p), from the damaged record at byte " + replyAt));
            assertThat(store.diagnostics()).extracting(Diagnostic::message).anySatisfy(message -> assertThat(message)
                    .contains("The stored reply of turn turn-p was damaged").contains("9 characters"));
        }
    }

    @Test
    void a_torn_progress_record_is_named_as_reply_text_and_the_text_before_it_survives() {
        Path directory = temp.resolve("data");
        TurnId turn = new TurnId("turn-p");
        JournalTranscriptStore writer = JournalTranscriptStore.open(directory, quiet());
        writer.append(user(turn, "tell me"));
        writer.recordReplyProgress(turn, "Once upon");
        writer.sync();
        writer.recordReplyProgress(turn, " a time");
        writer.sync();
        writer.abandon();
        byte[] full = bytes(journal(directory));
        write(journal(directory), Arrays.copyOf(full, full.length - 2));

        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet())) {
            assertThat(store.read(1, 1).get(0).content()).isEqualTo("Once upon");
            Diagnostic repaired = store.diagnostics().get(0);
            assertThat(repaired.code()).isEqualTo(DiagnosticCode.JOURNAL_TAIL_REPAIRED);
            assertThat(repaired.message()).contains("Lost: reply text of turn turn-p")
                    .contains("may have been acknowledged");
        }
    }

    @Test
    void garbage_after_the_last_record_is_named_as_the_item_it_would_have_been() {
        byte[] garbage = "not a record at all, just noise".getBytes(StandardCharsets.US_ASCII);

        Opened opened = openDamaged(JournalFixtures.concat(whole, garbage), Index.KEPT,
                JournalConversationCatalog.Verification.FULL);

        assertThat(opened.items()).containsExactlyElementsOf(items);
        assertThat(opened.diagnostics()).singleElement().satisfies(d -> assertThat(d.message())
                .contains(garbage.length + " bytes at byte " + whole.length + " that do not form a readable record, "
                        + "which would have been item 4 had they held an item")
                .contains("may have been acknowledged"));
        assertThat(opened.broken()).singleElement().satisfies(broken -> assertThat(bytes(broken)).isEqualTo(garbage));
    }

    @Test
    void a_batch_torn_in_both_its_records_names_both_items() {
        Path directory = temp.resolve("data");
        TurnId turn = new TurnId("turn-b");
        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet())) {
            store.appendAll(List.of(user(turn, "first of two"), reply(turn, "second of two")));
        }
        List<Long> offsets = recordOffsets(directory);
        byte[] damaged = bytes(journal(directory));
        damaged[offsets.get(0).intValue() + 20] ^= 0x01;   // inside the first record's timestamp
        write(journal(directory), Arrays.copyOf(damaged, damaged.length - 4));

        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet())) {
            assertThat(store.size()).isZero();
            assertThat(store.diagnostics()).singleElement().satisfies(d -> assertThat(d.message())
                    .contains("item 0 (a user message, turn turn-b), from the damaged record at byte " + offsets.get(0))
                    .contains("item 1 (an assistant reply, turn turn-b), from the damaged record at byte " + offsets.get(1))
                    .contains("Each may have been acknowledged"));
        }
    }

    @Test
    void a_journal_cut_back_into_its_header_names_every_item_its_index_places_after_it() {
        Opened opened = openDamaged(Arrays.copyOf(whole, 7), Index.KEPT, JournalConversationCatalog.Verification.FULL);

        assertThat(opened.items()).isEmpty();
        assertThat(opened.diagnostics()).singleElement().satisfies(d -> {
            assertThat(d.code()).isEqualTo(DiagnosticCode.JOURNAL_TAIL_REPAIRED);
            assertThat(d.message()).contains("item 0 (role and turn unknown)").contains("item 3 (role and turn unknown)")
                    .contains("Each may have been acknowledged");
        });
        assertThat(opened.broken()).singleElement()
                .satisfies(broken -> assertThat(bytes(broken)).isEqualTo(Arrays.copyOf(whole, 7)));
    }

    @Test
    void the_repair_diagnostic_names_the_kept_file_but_not_its_directory() {
        Opened opened = openDamaged(Arrays.copyOf(whole, whole.length - 1), Index.KEPT,
                JournalConversationCatalog.Verification.FULL);

        String name = opened.broken().get(0).getFileName().toString();
        assertThat(opened.only(DiagnosticCode.JOURNAL_TAIL_REPAIRED).message())
                .endsWith("The cut bytes are kept beside the journal in " + name + ".")
                .doesNotContain(opened.broken().get(0).getParent().toString());
        assertThat(name).matches("companion\\.journal\\.\\d{8}T\\d{6}\\.\\d{3}Z\\.broken");
    }
}
