package dev.companion.core.port;

import dev.companion.core.model.Diagnostic;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** How a model's reply ended when it ended normally: stop reason, usage, and notes for the reader. */
public record ModelResult(Optional<String> stopReason, Optional<TokenUsage> usage, List<Diagnostic> diagnostics) {

    public ModelResult {
        Objects.requireNonNull(stopReason, "stopReason");
        Objects.requireNonNull(usage, "usage");
        diagnostics = List.copyOf(diagnostics);
    }

    public static ModelResult finished(String stopReason) {
        return new ModelResult(Optional.of(stopReason), Optional.empty(), List.of());
    }
}
