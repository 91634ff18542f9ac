package dev.companion.core.port;

import dev.companion.core.model.ConversationId;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/** A conversation as its catalogue keeps it: who it is, what it is called, when it began. */
public record StoredConversation(ConversationId id, Optional<String> title, Instant createdAt) {

    public StoredConversation {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(createdAt, "createdAt");
    }

    public StoredConversation titled(String newTitle) {
        return new StoredConversation(id, Optional.of(newTitle), createdAt);
    }
}
