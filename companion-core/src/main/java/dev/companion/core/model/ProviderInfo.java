package dev.companion.core.model;

import java.util.Objects;
import java.util.Optional;

/**
 * The model behind the Companion, as the outside may see it: its kind ({@code offline},
 * {@code openai}, {@code anthropic}), the model name, whether replies come from a live LLM, the
 * host of its base URL (never the URL's path or query, never a key), and why it was chosen.
 */
public record ProviderInfo(String kind, String model, boolean live, Optional<String> host, Optional<String> reason) {

    public ProviderInfo {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(reason, "reason");
    }

    public ProviderInfo withReason(String why) {
        return new ProviderInfo(kind, model, live, host, Optional.of(why));
    }
}
