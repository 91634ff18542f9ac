package dev.companion.adapter.llm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.core.port.TokenUsage;

import java.util.Optional;

/** Turns one provider's stream events into steps of a reply; one parser per attempt. */
interface EventParser {

    Step onEvent(SseEvent event) throws Json.MalformedEvent;

    Optional<String> stopReason();

    Optional<TokenUsage> usage();

    /** What one event means for the reply. */
    sealed interface Step permits Text, End, Failed, Skip {
    }

    /** A piece of reply text. */
    record Text(String text) implements Step {
    }

    /** The protocol's end marker. */
    record End() implements Step {
    }

    /** An error event inside the stream; the JSON is read only to classify it. */
    record Failed(JsonNode event) implements Step {
    }

    /** Keep-alives, bookkeeping and unknown events. */
    record Skip() implements Step {
    }
}
