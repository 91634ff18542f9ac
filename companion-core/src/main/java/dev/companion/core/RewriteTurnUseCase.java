package dev.companion.core;

/**
 * Answer the last user message afresh. What was replaced stays in the transcript, marked
 * {@code superseded}, and is never sent to a model again. Both answer like {@link SendMessageUseCase#send}:
 * accepted with the new turn, busy while a turn runs, or refused ({@code nothing_to_regenerate},
 * {@code nothing_to_edit}) when the conversation has no user message to act on.
 */
public interface RewriteTurnUseCase {

    /** Runs the last user message again; the replies it had are superseded. */
    SendResult regenerate();

    /** Replaces the last user message's words and answers them; the old message and its replies are superseded. */
    SendResult edit(EditMessageCommand command);
}
