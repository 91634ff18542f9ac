package dev.companion.runtime;

import dev.companion.core.event.CompanionEvent;
import dev.companion.core.event.EventListener;
import dev.companion.core.event.EventReplay;
import dev.companion.core.event.Subscription;
import dev.companion.core.port.SharedEvents;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
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
    private static final int CATCH_UP_PAGE = 1000;

    private record Reader(Predicate<CompanionEvent> filter, EventListener listener) {
    }

    private final int capacity;
    private final ArrayDeque<CompanionEvent> retained;
    /**
     * Copied on change, read without copying: a reader may end its subscription (or fail) while an
     * event is being handed out, and the others still get it.
     */
    private final List<Reader> readers = new CopyOnWriteArrayList<>();
    private long latest;
    /** Set when runtimes share their events through a database; then cursors are the shared log's ids. */
    private volatile SharedEvents shared;
    private final ReentrantLock catchingUp = new ReentrantLock();

    EventLog(long base, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1");
        }
        this.capacity = capacity;
        this.retained = new ArrayDeque<>(Math.min(capacity, 1024));
        this.latest = base;
    }

    <E extends CompanionEvent> E publish(LongFunction<E> eventAtCursor) {
        SharedEvents log = shared;
        return log == null ? publishHere(eventAtCursor) : publishShared(log, eventAtCursor);
    }

    private synchronized <E extends CompanionEvent> E publishHere(LongFunction<E> eventAtCursor) {
        E event = eventAtCursor.apply(latest + 1);
        keep(event);
        return event;
    }

    /** Retains the event and hands it to its readers. Holds this log's lock. */
    private void keep(CompanionEvent event) {
        latest = event.cursor();
        retained.addLast(event);
        if (retained.size() > capacity) {
            retained.removeFirst();
        }
        for (Reader reader : readers) {
            if (!reader.filter.test(event)) {
                continue;
            }
            try {
                reader.listener.onEvent(event);
            } catch (RuntimeException e) {
                // A broken listener must not stop the turn or starve the others: drop it.
                LOG.log(Level.WARNING, "an event listener failed and was removed: {0}", e.getClass().getSimpleName());
                readers.remove(reader);
            }
        }
    }

    // ---- shared by several runtimes --------------------------------------------------------------

    /**
     * From now on this log is a window on {@code log}, which runtimes sharing a database append to:
     * an event published here is appended there and takes the id the shared log gives it as its
     * cursor, and every runtime's events reach this log's readers in that order, so a cursor means
     * the same on every runtime. Readers here read from memory, as in a log of one runtime; the
     * newest {@code capacity} events are loaded now so a reader can resume from one seen elsewhere.
     * Call before anything is published.
     */
    void share(SharedEvents log) {
        SharedEvents.Page newest = log.newest(capacity);
        synchronized (this) {
            retained.clear();
            latest = newest.records().isEmpty() ? newest.latestId() : newest.records().get(0).id() - 1;
            arrived(newest);
            latest = Math.max(latest, newest.latestId());
        }
        shared = log;
        log.listen(() -> {
            try {
                catchUp();
            } catch (RuntimeException e) {
                // The shared log is unreachable: tried again at the next wake-up, which comes by itself.
                LOG.log(Level.FINE, "the shared event log could not be read", e);
            }
        });
    }

    private <E extends CompanionEvent> E publishShared(SharedEvents log, LongFunction<E> eventAtCursor) {
        E draft = eventAtCursor.apply(0);
        long id;
        try {
            id = log.append(draft.conversationId(), draft.name(), EventCodec.encode(draft));
        } catch (RuntimeException e) {
            // No runtime can be given this event under a shared id: readers here reload what is stored instead.
            LOG.log(Level.WARNING, "an event could not be shared, readers are told to reload: {0}",
                    e.getClass().getSimpleName());
            synchronized (this) {
                readers.forEach(reader -> reader.listener.onReset(latest));
            }
            return draft;
        }
        try {
            catchUp(); // a reader here sees its own runtime's event without waiting for the wake-up
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "the shared event log could not be read back", e);
        }
        return eventAtCursor.apply(id);
    }

    /** Reads everything the shared log holds after this log's newest event, in order. One reader at a time. */
    private void catchUp() {
        SharedEvents log = shared;
        if (log == null) {
            return;
        }
        catchingUp.lock();
        try {
            while (true) {
                SharedEvents.Page page = log.after(latestCursor(), CATCH_UP_PAGE);
                synchronized (this) {
                    arrived(page);
                }
                if (page.records().size() < CATCH_UP_PAGE || page.gap()) {
                    return; // a short page is the end of the log, as far as it was committed
                }
            }
        } finally {
            catchingUp.unlock();
        }
    }

    /** Keeps a page of the shared log; a gap (records trimmed before this runtime read them) resets every reader. */
    private void arrived(SharedEvents.Page page) {
        if (page.gap()) {
            retained.clear();
            latest = page.latestId();
            readers.forEach(reader -> reader.listener.onReset(latest));
            return;
        }
        for (SharedEvents.Record record : page.records()) {
            if (record.id() <= latest) {
                continue;
            }
            CompanionEvent event;
            try {
                event = EventCodec.decode(record.id(), record.payload());
            } catch (IllegalArgumentException e) {
                // Written by a newer runtime: skipped, and its cursor passed, so resuming still works.
                latest = record.id();
                continue;
            }
            keep(event);
        }
    }

    synchronized long latestCursor() {
        return latest;
    }

    EventReplay after(long cursor, int max) {
        return after(cursor, max, event -> true);
    }

    EventReplay after(long cursor, int max, Predicate<CompanionEvent> filter) {
        catchUpTo(cursor);
        return afterHere(cursor, max, filter);
    }

    private synchronized EventReplay afterHere(long cursor, int max, Predicate<CompanionEvent> filter) {
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

    Subscription subscribe(long cursor, EventListener listener) {
        return subscribe(cursor, event -> true, listener);
    }

    Subscription subscribe(long cursor, Predicate<CompanionEvent> filter, EventListener listener) {
        catchUpTo(cursor);
        return subscribeHere(cursor, filter, listener);
    }

    /**
     * A cursor another runtime gave out may be newer than what this one has read so far (its wake-up
     * is on its way): read up to it first, so it resumes rather than resets. Outside this log's lock.
     */
    private void catchUpTo(long cursor) {
        if (shared != null && cursor > latestCursor()) {
            try {
                catchUp();
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "the shared event log could not be read", e);
            }
        }
    }

    private synchronized Subscription subscribeHere(long cursor, Predicate<CompanionEvent> filter,
                                                    EventListener listener) {
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
