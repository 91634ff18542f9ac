package dev.companion.adapter.http;

import com.fasterxml.jackson.databind.JsonNode;
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

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Each kind of event's frame, as the event streams write it, read back by this adapter's own client. */
class EventFramesTest {

    private static final ConversationId CONVERSATION = new ConversationId("c-1");
    private static final TurnId TURN = new TurnId("t-1");
    /** Quotes, backslashes, line breaks, a control character, non-ASCII and a character outside the BMP. */
    private static final String AWKWARD = "say \"hi\"\\ then\r\nnew line\u0007 caf\u00e9 \u6f22\u5b57 \uD83D\uDE00";

    @Test
    void every_kind_of_event_is_one_frame_whose_id_name_and_data_read_back_as_the_same_event() throws IOException {
        Instant at = Instant.parse("2026-12-02T16:40:00.123456789Z");
        TranscriptItem question = new TranscriptItem(4, Role.USER, AWKWARD, Instant.parse("2026-12-02T16:39:59Z"),
                "http", ItemStatus.ACCEPTED, TURN);
        TranscriptItem reply = new TranscriptItem(5, Role.ASSISTANT, AWKWARD, Instant.parse("2026-12-02T16:40:01.5Z"),
                "openai", ItemStatus.COMPLETED, TURN, new ReplyDetails("thought " + AWKWARD,
                Optional.of(Duration.ofMillis(1234)), Optional.of(new TokenUsage(10, 20, 3)),
                List.of(Diagnostic.info(DiagnosticCode.TURN_COMPLETED, "done " + AWKWARD))));
        Conversation conversation = new Conversation(CONVERSATION, Optional.of(AWKWARD), at, at.plusSeconds(5), 6,
                CompanionState.READY, Optional.of("preview"));
        List<CompanionEvent> events = List.of(
                new CompanionEvent.StateChanged(1, at, CONVERSATION, CompanionState.READY, CompanionState.BUSY),
                new CompanionEvent.TurnStarted(2, at, CONVERSATION, new Turn(TURN, question, at)),
                new CompanionEvent.TextDelta(3, at, CONVERSATION, TURN, AWKWARD),
                new CompanionEvent.ReasoningDelta(4, at, CONVERSATION, TURN, AWKWARD),
                new CompanionEvent.TurnEnded(5, at, CONVERSATION, new TurnOutcome.Completed(TURN, Optional.of(reply),
                        List.of(Diagnostic.info(DiagnosticCode.TURN_COMPLETED, "done")))),
                new CompanionEvent.TurnEnded(6, Instant.EPOCH, CONVERSATION, new TurnOutcome.Failed(TURN,
                        CompanionState.ERROR, Optional.empty(), List.of(Diagnostic.error(DiagnosticCode.MODEL_FAILED,
                        "it failed: " + AWKWARD)))),
                new CompanionEvent.ConversationCreated(7, at, conversation),
                new CompanionEvent.ConversationRenamed(8, at, new Conversation(CONVERSATION, Optional.empty(), at, at,
                        0, CompanionState.BUSY, Optional.empty())),
                new CompanionEvent.ConversationDeleted(9, at, CONVERSATION));

        List<SseFrames.Frame> frames = new ArrayList<>();
        for (CompanionEvent event : events) {
            SseFrames reader = new SseFrames(new ByteArrayInputStream(EventStream.frame(event)));
            frames.add(reader.next());
            assertThat(reader.next()).as("one frame for %s", event).isNull();
        }
        for (int i = 0; i < events.size(); i++) {
            CompanionEvent event = events.get(i);
            SseFrames.Frame frame = frames.get(i);
            assertThat(frame.id()).isEqualTo(Long.toString(event.cursor()));
            assertThat(frame.event()).isEqualTo(event.name());
            JsonNode data = frame.json(); // one data line, one JSON object
            assertThat(data.get("type").asText()).isEqualTo(event.name());
            assertThat(data.get("at").asText()).isEqualTo(event.at().toString());
            assertThat(WireReader.event(frame.event(), data)).contains(event);
        }
        // What the console reads of a turn's end when it has no reply: null, never left out.
        assertThat(frames.get(5).json().get("reply").isNull()).isTrue();
        assertThat(frames.get(7).json().get("conversation").get("title").isNull()).isTrue();
    }

    @Test
    void frames_are_byte_for_byte_the_documented_shapes_in_their_order() {
        Instant at = Instant.parse("2026-12-02T16:40:00.120Z");
        assertThat(text(new CompanionEvent.TextDelta(3, at, CONVERSATION, TURN, "Hi \"you\"\n"))).isEqualTo(
                "id: 3\nevent: text_delta\ndata: {\"cursor\":3,\"type\":\"text_delta\",\"at\":\"2026-12-02T16:40:00.120Z\","
                        + "\"conversation_id\":\"c-1\",\"turn_id\":\"t-1\",\"text\":\"Hi \\\"you\\\"\\n\"}\n\n");
        assertThat(text(new CompanionEvent.StateChanged(1, at, CONVERSATION, CompanionState.READY, CompanionState.BUSY)))
                .isEqualTo("id: 1\nevent: state_changed\ndata: {\"cursor\":1,\"type\":\"state_changed\","
                        + "\"at\":\"2026-12-02T16:40:00.120Z\",\"conversation_id\":\"c-1\",\"from\":\"ready\",\"to\":\"busy\"}\n\n");
        CompanionEvent failed = new CompanionEvent.TurnEnded(6, at, CONVERSATION, new TurnOutcome.Failed(TURN,
                CompanionState.ERROR, Optional.empty(), List.of(Diagnostic.error(DiagnosticCode.MODEL_FAILED, "no"))));
        assertThat(text(failed)).isEqualTo("id: 6\nevent: " + failed.name() + "\ndata: {\"cursor\":6,\"type\":\""
                + failed.name() + "\",\"at\":\"2026-12-02T16:40:00.120Z\",\"conversation_id\":\"c-1\",\"turn_id\":\"t-1\","
                + "\"state\":\"error\",\"outcome\":\"failed\",\"reply\":null,\"diagnostics\":[{\"code\":\"model_failed\","
                + "\"severity\":\"error\",\"message\":\"no\"}]}\n\n");
        assertThat(text(new CompanionEvent.ConversationDeleted(9, at, CONVERSATION))).isEqualTo("id: 9\nevent: "
                + "conversation_deleted\ndata: {\"cursor\":9,\"type\":\"conversation_deleted\","
                + "\"at\":\"2026-12-02T16:40:00.120Z\",\"conversation_id\":\"c-1\"}\n\n");
    }

    private static String text(CompanionEvent event) {
        return new String(EventStream.frame(event), StandardCharsets.UTF_8);
    }

    @Test
    void a_lone_surrogate_in_a_models_text_is_written_as_a_question_mark_as_in_every_answer() throws IOException {
        CompanionEvent delta = new CompanionEvent.TextDelta(3, Instant.EPOCH, CONVERSATION, TURN, "a\uD800b\uDC00");
        SseFrames.Frame frame = new SseFrames(new ByteArrayInputStream(EventStream.frame(delta))).next();
        assertThat(frame.json().get("text").asText()).isEqualTo("a?b?");
    }
}
