package dev.companion.runtime;

import dev.companion.core.event.CompanionEvent;
import dev.companion.core.event.EventListener;
import dev.companion.core.event.EventReplay;
import dev.companion.core.event.Subscription;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.LongFunction;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The events of every conversation in one order, each with a cursor one above the last. Cursors of
 * one runtime start above {@code base}, which is taken from the clock at start (milliseconds times
 * 1000), so a cursor kept from an earlier process is recognisably older than anything retained and
 * gets a reset instead of a wrong replay. The newest {@code capacity} events are retained for resuming.
 * A reader may follow every conversation or, through a filter, one.
 *
 * <p>Listeners are called under this log's lock, in cursor order, so a subscriber sees the replay
 * and then the live events with no gap and no duplicate; they must therefore return at once.
 */
final class EventLog {

    private static final Logger LOG = Logger.getLogger(EventLog.class.getName());

    private record Reader(Predicate<CompanionEvent> filter, EventListener listener) {
    }

    private final int capacity;
    private final ArrayDeque<CompanionEvent> retained;
    private final List<Reader> readers = new ArrayList<>();
    private long latest;

    EventLog(long base, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1");
        }
        this.capacity = capacity;
        this.retained = new ArrayDeque<>(Math.min(capacity, 1024));
        this.latest = base;
    }

    synchronized <E extends CompanionEvent> E publish(LongFunction<E> eventAtCursor) {
        E event = eventAtCursor.apply(latest + 1);
        latest = event.cursor();
        retained.addLast(event);
        if (retained.size() > capacity) {
            retained.removeFirst();
        }
        for (Iterator<Reader> it = readers.iterator(); it.hasNext(); ) {
            Reader reader = it.next();
            if (!reader.filter.test(event)) {
                continue;
            }
            try {
                reader.listener.onEvent(event);
            } catch (RuntimeException e) {
                // A broken listener must not stop the turn or starve the others: drop it.
                LOG.log(Level.WARNING, "an event listener failed and was removed: {0}", e.getClass().getSimpleName());
                it.remove();
            }
        }
        return event;
    }

    synchronized long latestCursor() {
        return latest;
    }

    synchronized EventReplay after(long cursor, int max) {
        return after(cursor, max, event -> true);
    }

    synchronized EventReplay after(long cursor, int max, Predicate<CompanionEvent> filter) {
        if (!known(cursor)) {
            return new EventReplay.Reset(latest);
        }
        List<CompanionEvent> events = new ArrayList<>();
        for (CompanionEvent event : retained) {
            if (event.cursor() > cursor && filter.test(event)) {
                if (events.size() == max) {
                    break;
                }
                events.add(event);
            }
        }
        return new EventReplay.Events(events, latest);
    }

    synchronized Subscription subscribe(long cursor, EventListener listener) {
        return subscribe(cursor, event -> true, listener);
    }

    synchronized Subscription subscribe(long cursor, Predicate<CompanionEvent> filter, EventListener listener) {
        if (known(cursor)) {
            for (CompanionEvent event : retained) {
                if (event.cursor() > cursor && filter.test(event)) {
                    listener.onEvent(event);
                }
            }
        } else {
            listener.onReset(latest);
        }
        Reader reader = new Reader(filter, listener);
        readers.add(reader);
        return () -> {
            synchronized (EventLog.this) {
                readers.remove(reader);
            }
        };
    }

    /** A cursor is known when every event after it is still retained and it is not in the future. */
    private boolean known(long cursor) {
        long oldestResumable = retained.isEmpty() ? latest : retained.peekFirst().cursor() - 1;
        return cursor >= oldestResumable && cursor <= latest;
    }
}
