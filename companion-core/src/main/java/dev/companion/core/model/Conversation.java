package dev.companion.core.model;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A conversation as a list shows it. {@code title} is empty until the first message names it (its
 * first line, see {@link ConversationTitle}) or someone renames it; {@code updatedAt} is the time
 * of its newest item, or of its creation while it has none; {@code preview} is the start of its
 * newest item.
 */
public record Conversation(
        ConversationId id,
        Optional<String> title,
        Instant createdAt,
        Instant updatedAt,
        long itemCount,
        CompanionState state,
        Optional<String> preview) {

    public Conversation {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(updatedAt, "updatedAt");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(preview, "preview");
        if (itemCount < 0) {
            throw new IllegalArgumentException("itemCount must not be negative");
        }
    }
}
