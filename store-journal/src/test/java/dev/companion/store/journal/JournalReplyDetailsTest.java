package dev.companion.store.journal;

import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.ReplyDetails;
import dev.companion.core.model.Role;
import dev.companion.core.model.TokenUsage;
import dev.companion.core.model.TranscriptEntry;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TurnId;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static dev.companion.store.journal.JournalFixtures.T0;
import static dev.companion.store.journal.JournalFixtures.bytes;
import static dev.companion.store.journal.JournalFixtures.journal;
import static dev.companion.store.journal.JournalFixtures.journalWithTurns;
import static dev.companion.store.journal.JournalFixtures.quiet;
import static dev.companion.store.journal.JournalFixtures.user;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a reply keeps beside its words (reasoning, its time, token usage, the diagnostics of its end)
 * survives in the journal; records the first release could not read turn a journal into version 2.
 */
class JournalReplyDetailsTest {

    private static final ReplyDetails DETAILS = new ReplyDetails("First the dates…\nthen the trains 🚄",
            Optional.of(Duration.ofMillis(12_345)), Optional.of(new TokenUsage(1200, 340, 210)),
            List.of(Diagnostic.warning(DiagnosticCode.PROVIDER_REPLY_TRUNCATED, "The reply reached the output limit.")));

    @TempDir
    Path temp;

    private static int headerVersion(Path directory) {
        return ByteBuffer.wrap(bytes(journal(directory))).getInt(8);
    }

    private static TranscriptEntry reply(TurnId turn, ItemStatus status, ReplyDetails details) {
        return new TranscriptEntry(Role.ASSISTANT, "Take the 8:03.", T0.plusSeconds(3), "openai", status, turn, details);
    }

    @ParameterizedTest
    @EnumSource(JournalConversationCatalog.Verification.class)
    void a_reply_with_details_reads_back_whole_after_a_reopen_and_makes_the_journal_version_2(
            JournalConversationCatalog.Verification verification) {
        Path directory = temp.resolve("data");
        journalWithTurns(directory, 2);
        byte[] before = bytes(journal(directory));
        TranscriptItem stored;
        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet())) {
            store.append(user(new TurnId("t"), "when should I leave?"));
            stored = store.append(reply(new TurnId("t"), ItemStatus.TRUNCATED, DETAILS));
        }

        assertThat(headerVersion(directory)).isEqualTo(2);
        assertThat(Arrays.copyOfRange(bytes(journal(directory)), 16, before.length))
                .isEqualTo(Arrays.copyOfRange(before, 16, before.length));
        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet().withVerification(verification))) {
            assertThat(store.read(5, 1)).containsExactly(stored);
            assertThat(store.read(5, 1).get(0).details()).isEqualTo(DETAILS);
            assertThat(store.read(0, 1).get(0).details()).isEqualTo(ReplyDetails.NONE);
        }
    }

    @Test
    void a_status_the_first_release_did_not_know_makes_the_journal_version_2_and_known_ones_do_not() {
        Path directory = temp.resolve("data");
        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet())) {
            for (ItemStatus status : List.of(ItemStatus.COMPLETED, ItemStatus.CANCELLED, ItemStatus.FAILED,
                    ItemStatus.TIMEOUT, ItemStatus.INCOMPLETE, ItemStatus.INTERRUPTED)) {
                store.append(reply(new TurnId("t-" + status.wireName()), status, ReplyDetails.NONE));
            }
            assertThat(headerVersion(directory)).isEqualTo(1);

            store.append(reply(new TurnId("t-filtered"), ItemStatus.FILTERED, ReplyDetails.NONE));

            assertThat(headerVersion(directory)).isEqualTo(2);
        }
    }

    @Test
    void a_diagnostic_with_a_code_this_release_does_not_know_is_left_out_and_the_reply_still_reads() {
        TranscriptItem item = reply(new TurnId("t"), ItemStatus.TRUNCATED, DETAILS).at(0);
        byte[] body = JournalFormat.itemBody(item).array();
        byte[] code = "PROVIDER_REPLY_TRUNCATED".getBytes(StandardCharsets.US_ASCII);
        int at = indexOf(body, code);
        body[at + code.length - 1] = 'X'; // a code some other release wrote

        TranscriptItem read = JournalFormat.decodeItem(ByteBuffer.wrap(body));

        assertThat(read.details().diagnostics()).isEmpty();
        assertThat(read.details().reasoning()).isEqualTo(DETAILS.reasoning());
        assertThat(read.details().usage()).isEqualTo(DETAILS.usage());
        assertThat(read.content()).isEqualTo(item.content());
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(Arrays.copyOfRange(haystack, i, i + needle.length), needle)) {
                return i;
            }
        }
        throw new AssertionError("not found");
    }
}
