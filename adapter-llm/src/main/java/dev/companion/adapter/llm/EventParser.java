package dev.companion.adapter.llm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.core.port.ModelResult.Ending;
import dev.companion.core.model.TokenUsage;

import java.util.List;
import java.util.Optional;

/** Turns one provider's stream events into steps of a reply; one parser per attempt. */
interface EventParser {

    Step onEvent(SseEvent event) throws Json.MalformedEvent;

    /** What the parser still holds when the stream ends (a tag that never completed, say). */
    default List<Delta> flush() {
        return List.of();
    }

    /** The provider's stop reason as it said it, once it said one. */
    Optional<String> stopReason();

    /** The tokens the provider counted, once it said. */
    Optional<TokenUsage> usage();

    /** How the reply ends, judged from what arrived so far. */
    default Ending ending() {
        return stopReason().map(Endings::of).orElse(Ending.COMPLETED);
    }

    /**
     * Whether the provider has said the reply is finished (it gave a stop reason), so that the
     * stream ending cleanly now is the end of the reply even without the protocol's end marker.
     */
    default boolean finished() {
        return stopReason().isPresent();
    }

    /** What one event means for the reply. */
    sealed interface Step permits Output, End, Failed, Skip {
    }

    /** Pieces of the reply and of the reasoning, in the order they were written. */
    record Output(List<Delta> deltas) implements Step {
        public Output {
            deltas = List.copyOf(deltas);
        }
    }

    /** The protocol's end marker. */
    record End() implements Step {
    }

    /** An error inside the stream; the JSON is read only to classify it. */
    record Failed(JsonNode event) implements Step {
    }

    /** Keep-alives, bookkeeping and unknown events. */
    record Skip() implements Step {
    }

    /** One piece of what the model wrote. */
    sealed interface Delta permits Text, Reasoning {
        String text();
    }

    /** A piece of reply text. */
    record Text(String text) implements Delta {
    }

    /** A piece of the model's reasoning, never part of the reply. */
    record Reasoning(String text) implements Delta {
    }
}
