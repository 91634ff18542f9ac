package dev.companion.core;

/**
 * The Companion as its clients drive it: send, await, cancel, read status and transcript, observe
 * events. Implemented in-process by the embedded runtime and, for a remote server, by the HTTP
 * client; a client written against this interface does not care which.
 */
public interface Companion extends SendMessageUseCase, AwaitTurnUseCase, CancelTurnUseCase, ReadStatusUseCase,
        ReadTranscriptUseCase, ObserveEventsUseCase {
}
