package dev.companion.core.port;

import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.TokenUsage;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How a model's reply ended when it ended without failing: the {@link Ending} a runtime maps to the
 * reply's status, the provider's own stop reason as it said it, the tokens it counted, and notes for
 * the reader. The text that arrived before a truncated, filtered or refused ending is the reply as
 * delivered to the sink; it is not thrown away, and such an ending always carries its own warning.
 */
public record ModelResult(Ending ending, Optional<String> stopReason, Optional<TokenUsage> usage,
                          List<Diagnostic> diagnostics) {

    /** What kind of end the reply came to. */
    public enum Ending {
        /** The model finished its reply (OpenAI {@code stop}, Anthropic {@code end_turn}, a stop sequence). */
        COMPLETED(null),
        /**
         * The reply was cut off at the output token limit (OpenAI {@code length}, Anthropic
         * {@code max_tokens} or {@code model_context_window_exceeded}).
         */
        TRUNCATED(DiagnosticCode.PROVIDER_REPLY_TRUNCATED),
        /** The provider's content filter stopped the reply (OpenAI and Azure {@code content_filter}). */
        FILTERED(DiagnosticCode.PROVIDER_REPLY_FILTERED),
        /** The model declined to answer (Anthropic {@code refusal}, an OpenAI {@code refusal} delta). */
        REFUSED(DiagnosticCode.PROVIDER_REPLY_REFUSED),
        /** The call was cancelled; what arrived before the cancel is all there is. */
        CANCELLED(null);

        private final DiagnosticCode diagnostic;

        Ending(DiagnosticCode diagnostic) {
            this.diagnostic = diagnostic;
        }

        /** The code of the warning that must accompany this ending, if it needs one. */
        public Optional<DiagnosticCode> diagnosticCode() {
            return Optional.ofNullable(diagnostic);
        }

        /** Whether the reply is whole: finished by the model itself. */
        public boolean complete() {
            return this == COMPLETED;
        }
    }

    public ModelResult {
        Objects.requireNonNull(ending, "ending");
        Objects.requireNonNull(stopReason, "stopReason");
        Objects.requireNonNull(usage, "usage");
        diagnostics = List.copyOf(diagnostics);
        Optional<DiagnosticCode> needed = ending.diagnosticCode();
        if (needed.isPresent() && diagnostics.stream().noneMatch(d -> d.code() == needed.get())) {
            throw new IllegalArgumentException("a " + ending + " reply carries a " + needed.get().wireName() + " diagnostic");
        }
    }

    /**
     * A reply that ended normally, or was cancelled when {@code stopReason} is {@code "cancelled"};
     * kept for models that only know a stop reason.
     */
    public ModelResult(Optional<String> stopReason, Optional<TokenUsage> usage, List<Diagnostic> diagnostics) {
        this(stopReason.filter("cancelled"::equals).isPresent() ? Ending.CANCELLED : Ending.COMPLETED,
                stopReason, usage, diagnostics);
    }

    /** A reply the model finished, with its stop reason; {@code "cancelled"} makes it a cancelled one. */
    public static ModelResult finished(String stopReason) {
        return new ModelResult(Optional.of(stopReason), Optional.empty(), List.of());
    }

    /** A call that was cancelled; {@code notes} are what the model had to say before it stopped. */
    public static ModelResult cancelled(List<Diagnostic> notes) {
        return new ModelResult(Ending.CANCELLED, Optional.of("cancelled"), Optional.empty(), notes);
    }

    /** The warning that explains a truncated, filtered or refused ending. */
    public Optional<Diagnostic> endingDiagnostic() {
        return ending.diagnosticCode().flatMap(code -> diagnostics.stream().filter(d -> d.code() == code).findFirst());
    }
}
