package dev.companion.core.event;

/**
 * Receives a Companion's events in cursor order. Called on the runtime's own thread: it must hand
 * the event off and return at once (a slow reader must never slow a turn or another reader).
 */
public interface EventListener {

    void onEvent(CompanionEvent event);

    /**
     * The cursor asked for is no longer retained (or was never issued): events were missed, so the
     * client should reload the transcript and go on from {@code latestCursor}.
     */
    default void onReset(long latestCursor) {
    }
}
