package dev.companion.runtime;

import dev.companion.core.event.CompanionEvent;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.Conversation;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.ReplyDetails;
import dev.companion.core.model.Role;
import dev.companion.core.model.TokenUsage;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.Turn;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** Every event survives the shared log's text form exactly, with the log's id as its cursor. */
class EventCodecTest {

    private static final Instant AT = Instant.parse("2025-03-01T10:15:30.123456789Z");
    private static final ConversationId CONVERSATION = new ConversationId("c-1");
    private static final TurnId TURN = new TurnId("turn-1");

    private static final TranscriptItem QUESTION = new TranscriptItem(4, Role.USER, "a:b 12:\nunicode ☃ 😀",
            AT, "http", ItemStatus.ACCEPTED, TURN);
    private static final TranscriptItem REPLY = new TranscriptItem(5, Role.ASSISTANT, "", AT.plusSeconds(1),
            "openai", ItemStatus.TRUNCATED, TURN, new ReplyDetails("thinking: 3:x", Optional.of(Duration.ofNanos(1234)),
            Optional.of(new TokenUsage(10, 20, 3)), List.of(Diagnostic.warning(DiagnosticCode.PROVIDER_REPLY_TRUNCATED,
            "cut"), Diagnostic.error(DiagnosticCode.MODEL_FAILED, "x"))));

    static List<CompanionEvent> everyKind() {
        Conversation summary = new Conversation(CONVERSATION, Optional.of("Trip"), AT, AT.plusSeconds(5), 7,
                CompanionState.BUSY, Optional.of("preview"));
        Conversation untitled = new Conversation(CONVERSATION, Optional.empty(), AT, AT, 0, CompanionState.READY,
                Optional.empty());
        return List.of(
                new CompanionEvent.TurnStarted(1, AT, CONVERSATION, new Turn(TURN, QUESTION, AT)),
                new CompanionEvent.TextDelta(2, AT, CONVERSATION, TURN, "4:ab"),
                new CompanionEvent.TextDelta(3, AT, CONVERSATION, TURN, ""),
                new CompanionEvent.ReasoningDelta(4, AT, CONVERSATION, TURN, "hmm"),
                new CompanionEvent.TurnEnded(5, AT, CONVERSATION, new TurnOutcome.Completed(TURN, Optional.of(REPLY), List.of())),
                new CompanionEvent.TurnEnded(6, AT, CONVERSATION, new TurnOutcome.Failed(TURN, CompanionState.BUSY,
                        Optional.empty(), List.of(Diagnostic.info(DiagnosticCode.TURN_INTERRUPTED, "gone")))),
                new CompanionEvent.TurnEnded(7, AT, CONVERSATION, new TurnOutcome.Cancelled(TURN, Optional.of(QUESTION), List.of())),
                new CompanionEvent.TurnEnded(8, AT, CONVERSATION, new TurnOutcome.TimedOut(TURN, Optional.empty(), List.of())),
                new CompanionEvent.StateChanged(9, AT, CONVERSATION, CompanionState.BUSY, CompanionState.READY),
                new CompanionEvent.ConversationCreated(10, AT, untitled),
                new CompanionEvent.ConversationRenamed(11, AT, summary),
                new CompanionEvent.ConversationDeleted(12, AT, CONVERSATION));
    }

    @Test
    void every_kind_of_event_reads_back_as_written() {
        for (CompanionEvent event : everyKind()) {
            String payload = EventCodec.encode(event);
            assertThat(EventCodec.decode(event.cursor(), payload)).isEqualTo(event);
        }
    }

    @Test
    void the_id_the_log_gives_is_the_cursor() {
        CompanionEvent delta = new CompanionEvent.TextDelta(0, AT, CONVERSATION, TURN, "x");
        assertThat(EventCodec.decode(99, EventCodec.encode(delta)).cursor()).isEqualTo(99);
    }

    @Test
    void a_payload_of_another_version_or_a_broken_one_is_refused() {
        CompanionEvent delta = new CompanionEvent.TextDelta(0, AT, CONVERSATION, TURN, "x");
        String payload = EventCodec.encode(delta);
        assertThatIllegalArgumentException().isThrownBy(() -> EventCodec.decode(1, "1:2" + payload.substring(3)));
        assertThatIllegalArgumentException().isThrownBy(() -> EventCodec.decode(1, payload.substring(0, 10)));
        assertThatIllegalArgumentException().isThrownBy(() -> EventCodec.decode(1, payload.replace("5:DELTA", "8:EXPLODED")));
    }
}
