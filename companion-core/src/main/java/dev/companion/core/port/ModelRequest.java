package dev.companion.core.port;

import java.util.List;
import java.util.Objects;

/**
 * Everything a model is sent for one reply: the system prompt from the prompt catalogue and the
 * conversation history as normal messages, oldest first, ending with the user's message. Nothing
 * else is injected.
 */
public record ModelRequest(String systemPrompt, List<ChatMessage> messages) {

    public ModelRequest {
        Objects.requireNonNull(systemPrompt, "systemPrompt");
        messages = List.copyOf(messages);
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("a model request needs at least the user's message");
        }
    }
}
