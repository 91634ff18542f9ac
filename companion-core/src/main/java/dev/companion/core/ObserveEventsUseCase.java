package dev.companion.core;

import dev.companion.core.event.EventListener;
import dev.companion.core.event.EventReplay;
import dev.companion.core.event.Subscription;

/**
 * Follow what happens to the Companion from a cursor on. Cursors grow by one per event; a cursor
 * from before this runtime started, or one never issued, gets a reset.
 */
public interface ObserveEventsUseCase {

    /** The newest cursor issued so far; subscribing after it yields only new events. */
    long latestCursor();

    /** Up to {@code max} retained events after {@code cursor}, or a reset. */
    EventReplay eventsAfter(long cursor, int max);

    /**
     * Replays the retained events after {@code cursor} to the listener, then delivers each new event
     * as it happens, with no gap and no duplicate; or calls {@link EventListener#onReset} when the
     * cursor is unknown, and then delivers new events.
     */
    Subscription subscribe(long cursor, EventListener listener);
}
