package dev.companion.core;

import dev.companion.core.model.ConversationId;

/**
 * One conversation with the Companion as its clients drive it: send, regenerate or edit, await,
 * cancel, read status and transcript, observe its events. Implemented in-process by the embedded
 * runtime and, for a remote server, by the HTTP client; a client written against this interface
 * does not care which. {@link Conversations#open} gives one per conversation.
 */
public interface Companion extends SendMessageUseCase, RewriteTurnUseCase, AwaitTurnUseCase, CancelTurnUseCase,
        ReadStatusUseCase, ReadTranscriptUseCase, ObserveEventsUseCase {

    /** Which conversation this is. */
    ConversationId conversationId();
}
