package dev.companion.core.model;

import java.util.Objects;
import java.util.UUID;

/** Names one turn: one user message and the reply that answers it. */
public record TurnId(String value) {

    public TurnId {
        Objects.requireNonNull(value, "value");
        if (!value.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new IllegalArgumentException("a turn id is 1 to 64 letters, digits, '-' or '_'");
        }
    }

    public static TurnId random() {
        return new TurnId("turn-" + UUID.randomUUID());
    }

    @Override
    public String toString() {
        return value;
    }
}
