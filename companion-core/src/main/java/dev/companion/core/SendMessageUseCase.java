package dev.companion.core;

/** Send the Companion a message; one turn at a time. */
public interface SendMessageUseCase {

    /**
     * Starts a turn for the message, or answers busy while another turn runs. Returns as soon as the
     * user item is stored and the turn has started; the reply streams as events.
     */
    SendResult send(SendMessageCommand command);
}
