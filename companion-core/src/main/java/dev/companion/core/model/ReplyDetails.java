package dev.companion.core.model;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a reply keeps beside its words: the model's reasoning (never part of the reply's text and
 * never sent back to a model), how long it reasoned, the tokens the provider counted, and the
 * diagnostics that explain how the reply ended, so a failed or cut reply still says why after a reload.
 * A user item has none.
 */
public record ReplyDetails(String reasoning, Optional<Duration> reasoningTime, Optional<TokenUsage> usage,
                           List<Diagnostic> diagnostics) {

    public static final ReplyDetails NONE = new ReplyDetails("", Optional.empty(), Optional.empty(), List.of());

    public ReplyDetails {
        Objects.requireNonNull(reasoning, "reasoning");
        Objects.requireNonNull(reasoningTime, "reasoningTime");
        Objects.requireNonNull(usage, "usage");
        diagnostics = List.copyOf(diagnostics);
    }

    public boolean isEmpty() {
        return reasoning.isEmpty() && reasoningTime.isEmpty() && usage.isEmpty() && diagnostics.isEmpty();
    }
}
