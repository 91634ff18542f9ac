package dev.companion.core;

import dev.companion.core.model.Conversation;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.ConversationNotFoundException;

import java.util.Optional;

/**
 * The conversations a person has, each with its own transcript, its own turn and its own events.
 * Single-flight is per conversation: a reply running in one never makes another busy (the runtime
 * may still cap how many run at once). The events of every conversation, and the creation, renaming
 * and deletion of conversations, come in one stream ({@link ObserveEventsUseCase}), each event naming
 * its conversation.
 */
public interface Conversations extends ObserveEventsUseCase {

    /** Starts a conversation, empty, titled or not. */
    Conversation create(CreateConversationCommand command);

    /** Conversations, newest activity first, a page at a time, narrowed by a search term if given. */
    ConversationPage list(ConversationQuery query);

    Optional<Conversation> get(ConversationId id);

    /** @throws ConversationNotFoundException when there is no such conversation */
    Conversation rename(RenameConversationCommand command);

    /**
     * Deletes the conversation and its transcript; refused as busy while its turn runs.
     *
     * @throws ConversationNotFoundException when there is no such conversation
     */
    DeleteResult delete(ConversationId id);

    /**
     * The conversation as a {@link Companion}. The default conversation is created the first time it
     * is opened, as every earlier release had one from the start.
     *
     * @throws ConversationNotFoundException when there is no such conversation (other than the default)
     */
    Companion open(ConversationId id);
}
