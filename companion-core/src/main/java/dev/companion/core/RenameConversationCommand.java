package dev.companion.core;

import dev.companion.core.model.ConversationId;
import dev.companion.core.model.ConversationTitle;

import java.util.Objects;

/** A new title for a conversation; validated as {@link ConversationTitle#validate} says. */
public record RenameConversationCommand(ConversationId id, String title) {

    public RenameConversationCommand {
        Objects.requireNonNull(id, "id");
        title = ConversationTitle.validate(title);
    }
}
