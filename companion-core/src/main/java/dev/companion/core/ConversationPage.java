package dev.companion.core;

import dev.companion.core.model.Conversation;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** One page of conversations, newest activity first; {@code nextCursor} is empty on the last page. */
public record ConversationPage(List<Conversation> conversations, Optional<String> nextCursor) {

    public ConversationPage {
        conversations = List.copyOf(conversations);
        Objects.requireNonNull(nextCursor, "nextCursor");
    }
}
