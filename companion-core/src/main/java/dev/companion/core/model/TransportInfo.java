package dev.companion.core.model;

import java.util.Objects;
import java.util.Optional;

/**
 * How replies reach a client: the transport {@code kind}, how completion is observed
 * ({@code completion}), and a plain sentence about what it cannot do ({@code limitation}).
 */
public record TransportInfo(String kind, String completion, Optional<String> limitation) {

    public TransportInfo {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(completion, "completion");
        Objects.requireNonNull(limitation, "limitation");
    }
}
