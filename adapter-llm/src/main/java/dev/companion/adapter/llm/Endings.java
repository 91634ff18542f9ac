package dev.companion.adapter.llm;

import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.port.ModelResult.Ending;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a provider's stop reason means for the reply, and the warning a reply that did not end
 * whole carries. Stop reasons this does not know (a stop sequence, {@code tool_calls},
 * {@code pause_turn}, {@code eos}) are normal endings.
 */
final class Endings {

    /** A stop reason worth naming in a diagnostic; compiled once, as most replies end with one. */
    private static final Pattern STOP_REASON_WORD = Pattern.compile("[a-z_]{1,40}");

    private Endings() {
    }

    static Ending of(String stopReason) {
        return switch (stopReason.strip().toLowerCase(Locale.ROOT)) {
            // OpenAI-compatible "length"; Anthropic "max_tokens", and the context window filling up mid-reply.
            case "length", "max_tokens", "model_context_window_exceeded" -> Ending.TRUNCATED;
            // OpenAI and Azure "content_filter"; "safety" where a gateway passes Gemini's reason through.
            case "content_filter", "safety" -> Ending.FILTERED;
            case "refusal" -> Ending.REFUSED;
            default -> Ending.COMPLETED;
        };
    }

    /** The warning for an ending that is not whole; none for a completed or cancelled reply. */
    static Optional<Diagnostic> diagnostic(Ending ending, Optional<String> stopReason, boolean textArrived) {
        // The stop reason is named only when it is the known word that led here.
        String reason = stopReason.map(r -> r.strip().toLowerCase(Locale.ROOT))
                .filter(r -> STOP_REASON_WORD.matcher(r).matches() && of(r) == ending)
                .map(r -> " (stop reason " + r + ")").orElse("");
        return switch (ending) {
            case TRUNCATED -> Optional.of(Diagnostic.warning(DiagnosticCode.PROVIDER_REPLY_TRUNCATED, textArrived
                    ? "The reply was cut off at the model's output token limit" + reason + "; the text that arrived is kept."
                    : "The model reached its output token limit before writing any reply text" + reason
                            + "; it may have spent the limit on reasoning."));
            case FILTERED -> Optional.of(Diagnostic.warning(DiagnosticCode.PROVIDER_REPLY_FILTERED, textArrived
                    ? "The provider's content filter stopped the reply" + reason + "; the text that arrived before it is kept."
                    : "The provider's content filter stopped the reply before any text" + reason + "."));
            case REFUSED -> Optional.of(Diagnostic.warning(DiagnosticCode.PROVIDER_REPLY_REFUSED, textArrived
                    ? "The model declined to go on with this reply" + reason + "; the text that arrived is kept."
                    : "The model declined to answer this message" + reason + "."));
            case COMPLETED, CANCELLED -> Optional.empty();
        };
    }
}
