package dev.companion.core.model;

import java.util.Objects;

/** Names one turn: one user message and the reply that answers it. */
public record TurnId(String value) {

    public TurnId {
        Objects.requireNonNull(value, "value");
        if (!IdText.isWellFormed(value)) {
            throw new IllegalArgumentException("a turn id is 1 to 64 letters, digits, '-' or '_'");
        }
    }

    public static TurnId random() {
        return new TurnId("turn-" + IdText.randomUuid());
    }

    @Override
    public String toString() {
        return value;
    }
}
