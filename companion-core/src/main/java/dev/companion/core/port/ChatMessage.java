package dev.companion.core.port;

import dev.companion.core.model.Role;

import java.util.Objects;

/** One message of the conversation history sent to a model. */
public record ChatMessage(Role role, String content) {

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }
}
