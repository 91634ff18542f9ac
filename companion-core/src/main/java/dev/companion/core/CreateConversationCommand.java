package dev.companion.core;

import dev.companion.core.model.ConversationTitle;

import java.util.Objects;
import java.util.Optional;

/** A new conversation, with a title or, more usually, without one until its first message names it. */
public record CreateConversationCommand(Optional<String> title) {

    public CreateConversationCommand {
        Objects.requireNonNull(title, "title");
        title = title.map(ConversationTitle::validate);
    }

    public static CreateConversationCommand untitled() {
        return new CreateConversationCommand(Optional.empty());
    }

    public static CreateConversationCommand titled(String title) {
        return new CreateConversationCommand(Optional.of(title));
    }
}
