package dev.companion.core;

import java.util.Objects;

/**
 * New words for the last user message. The text is checked exactly as a new message is
 * ({@link SendMessageCommand}); invalid input throws {@link dev.companion.core.model.InvalidRequestException}.
 */
public record EditMessageCommand(SendMessageCommand message) {

    public EditMessageCommand {
        Objects.requireNonNull(message, "message");
    }

    public static EditMessageCommand of(String content, String source) {
        return new EditMessageCommand(new SendMessageCommand(content, source));
    }

    public static EditMessageCommand of(String content) {
        return new EditMessageCommand(SendMessageCommand.of(content));
    }
}
