package dev.companion.runtime;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Time limits that are nearly always called off before they come: a turn's deadline, the limit of a
 * {@code wait=true} answer. Each used to be a task of its own on the timer, and with nothing else
 * queued every one of them woke the timer thread as it was set, between taking a message and asking
 * the model. Here one timer task is pending at a time, at the earliest limit there is to watch; a
 * limit set later than that one, and a limit called off, change only this set. When the task fires it
 * runs what is due and waits for the next.
 */
final class Deadlines {

    /** A limit that was set; calling it off after it has come changes nothing. */
    interface Deadline {
        void cancel();
    }

    private final ScheduledExecutorService timers;
    /** Guarded by this. */
    private final TreeSet<Entry> pending = new TreeSet<>();
    /** The pending timer task, and when it fires; null when nothing is pending. Guarded by this. */
    private ScheduledFuture<?> sweep;
    private long sweepAtNanos;
    private long sequence;

    Deadlines(ScheduledExecutorService timers) {
        this.timers = Objects.requireNonNull(timers, "timers");
    }

    /**
     * Runs {@code action} on the timer's thread once {@code limit} has passed, unless called off first.
     *
     * @throws RejectedExecutionException when the timer is shutting down
     */
    synchronized Deadline after(Duration limit, Runnable action) {
        if (timers.isShutdown()) {
            throw new RejectedExecutionException("the timer has stopped");
        }
        Entry entry = new Entry(System.nanoTime() + limit.toNanos(), sequence++, action);
        pending.add(entry);
        if (sweep == null || entry.dueNanos - sweepAtNanos < 0) {
            try {
                sweepAt(entry.dueNanos);
            } catch (RejectedExecutionException closing) {
                pending.remove(entry);
                throw closing;
            }
        }
        return () -> {
            synchronized (Deadlines.this) {
                pending.remove(entry);
            }
        };
    }

    /** Called with this held. */
    private void sweepAt(long atNanos) {
        if (sweep != null) {
            sweep.cancel(false);
        }
        sweep = timers.schedule(this::sweep, Math.max(0, atNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        sweepAtNanos = atNanos;
    }

    private void sweep() {
        List<Entry> due = new ArrayList<>();
        synchronized (this) {
            long now = System.nanoTime();
            if (sweepAtNanos - now <= 0) {
                sweep = null; // this one; a sweep set meanwhile for later stays known, and is moved below
            }
            while (!pending.isEmpty() && pending.first().dueNanos - now <= 0) {
                due.add(pending.pollFirst());
            }
            if (!pending.isEmpty()) {
                try {
                    sweepAt(pending.first().dueNanos);
                } catch (RejectedExecutionException closing) {
                    // The runtime is stopping; it ends what is still running itself.
                }
            }
        }
        RuntimeException failed = null;
        for (Entry entry : due) {
            try {
                entry.action.run();
            } catch (RuntimeException e) {
                // One limit's failure does not keep the others due now from running.
                if (failed == null) {
                    failed = e;
                }
            }
        }
        if (failed != null) {
            throw failed;
        }
    }

    /** Ordered by when it is due ({@link System#nanoTime()}, compared by difference), then by when it was set. */
    private record Entry(long dueNanos, long sequence, Runnable action) implements Comparable<Entry> {
        @Override
        public int compareTo(Entry other) {
            long byTime = dueNanos - other.dueNanos;
            return byTime != 0 ? Long.signum(byTime) : Long.compare(sequence, other.sequence);
        }
    }
}
