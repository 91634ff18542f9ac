package dev.companion.adapter.llm;

import dev.companion.adapter.llm.LanguageModels.Timeouts;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The time limits and the cancel of one reply. Java's {@code HttpRequest.timeout} stops counting
 * once headers arrive, so the first-token, idle and total limits are kept here, and abort the reply
 * by closing the body stream of the current attempt; the reader then fails at once and asks
 * {@link #reason()} why. The first reason wins.
 *
 * <p>One timer a reply, not one a limit: it is set when the reply starts, for the nearest limit, and
 * when it fires it works out which limit, if any, has passed and waits again for the next. Starting
 * an attempt, a piece arriving and an attempt ending only note the time. Every schedule that comes
 * before the queued ones wakes the timer thread, and on a small machine such a wake-up costs a reply
 * its first piece: three of them (total, first token, then idle at the first piece) used to sit on
 * that path. A reply that ends in time sets one timer and cancels it.
 */
final class Watchdog implements AutoCloseable {

    enum Reason { CONNECT, FIRST_TOKEN, IDLE, TOTAL, CANCELLED }

    private static final ScheduledThreadPoolExecutor TIMERS = timers();

    private final Timeouts timeouts;
    private final AtomicReference<Reason> reason = new AtomicReference<>();
    private final CountDownLatch aborted = new CountDownLatch(1);
    private final Object lock = new Object();
    private final long startNanos = System.nanoTime();
    /** The one pending check (set from the start on). Guarded by lock. */
    private ScheduledFuture<?> check;
    /** When the pending check fires, as {@link System#nanoTime()}. Guarded by lock. */
    private long checkAtNanos;
    private boolean closed;
    /** Closes the current attempt's connection; null between attempts. Guarded by lock. */
    private Runnable stopAttempt;
    private long attemptStartNanos;
    /** A piece of this attempt's reply has arrived: the first-token limit is met. */
    private volatile boolean answering;
    private volatile long lastActivityNanos;

    Watchdog(Timeouts timeouts) {
        this.timeouts = timeouts;
        synchronized (lock) {
            // The first attempt starts at once.
            checkAt(earlier(startNanos + timeouts.total().toNanos(), attemptCheck(startNanos)));
        }
    }

    /** An attempt starts: {@code stop} closes its connection; the first-token limit starts now. */
    void startAttempt(Runnable stop) {
        synchronized (lock) {
            answering = false;
            stopAttempt = stop;
            attemptStartNanos = System.nanoTime();
            long due = attemptCheck(attemptStartNanos);
            if (due - checkAtNanos < 0) {
                checkAt(due); // a retry, after the check was set for the total limit
            }
        }
        if (reason.get() != null) {
            stop.run();
        }
    }

    /**
     * When an attempt that starts at {@code fromNanos} next needs a look, before its first piece: at
     * its first-token limit, or sooner when the idle limit is shorter, since a piece that arrives
     * after {@code fromNanos} has its idle limit no earlier than that.
     */
    private long attemptCheck(long fromNanos) {
        return fromNanos + Math.min(timeouts.firstToken().toNanos(), timeouts.idle().toNanos());
    }

    /**
     * A piece of reply text or reasoning arrived: the first-token limit is met and the idle limit
     * starts again. A model that is thinking is answering; keep-alive comments and pings are not.
     * Only noted: the pending check reads it when it fires.
     */
    void activity() {
        lastActivityNanos = System.nanoTime();
        answering = true;
    }

    /** The timer fired: abort for the limit that has passed, if one has, or wait for the nearest one. */
    private void check() {
        long now = System.nanoTime();
        Reason passed = null;
        synchronized (lock) {
            if (closed) {
                return;
            }
            long next = startNanos + timeouts.total().toNanos();
            if (next - now <= 0) {
                passed = Reason.TOTAL;
            } else if (stopAttempt != null) {
                boolean idle = answering;
                long attemptLimit = idle
                        ? lastActivityNanos + timeouts.idle().toNanos()
                        : attemptStartNanos + timeouts.firstToken().toNanos();
                if (attemptLimit - now <= 0) {
                    passed = idle ? Reason.IDLE : Reason.FIRST_TOKEN;
                } else {
                    // Before the first piece, look again no later than a piece arriving now would need.
                    next = earlier(next, idle ? attemptLimit : earlier(attemptLimit, attemptCheck(now)));
                }
            }
            if (passed == null) {
                checkAt(next);
                return;
            }
        }
        abort(passed);
    }

    /** The earlier of two {@link System#nanoTime()} instants (compared by difference, as nanoTime must be). */
    private static long earlier(long a, long b) {
        return a - b < 0 ? a : b;
    }

    /** Replaces the pending check with one at {@code atNanos}. Called with lock held. */
    private void checkAt(long atNanos) {
        if (closed) {
            return;
        }
        if (check != null) {
            check.cancel(false);
        }
        checkAtNanos = atNanos;
        check = TIMERS.schedule(this::check, Math.max(0, atNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    void endAttempt() {
        synchronized (lock) {
            stopAttempt = null;
        }
    }

    void abort(Reason why) {
        if (!reason.compareAndSet(null, why)) {
            return;
        }
        aborted.countDown();
        Runnable stop;
        synchronized (lock) {
            stop = stopAttempt;
        }
        if (stop != null) {
            stop.run();
        }
    }

    Optional<Reason> reason() {
        return Optional.ofNullable(reason.get());
    }

    CountDownLatch abortedLatch() {
        return aborted;
    }

    Duration limit(Reason why) {
        return switch (why) {
            case CONNECT -> timeouts.connect();
            case FIRST_TOKEN -> timeouts.firstToken();
            case IDLE -> timeouts.idle();
            case TOTAL, CANCELLED -> timeouts.total();
        };
    }

    @Override
    public void close() {
        synchronized (lock) {
            stopAttempt = null;
            closed = true;
            if (check != null) {
                check.cancel(false);
            }
        }
    }

    private static ScheduledThreadPoolExecutor timers() {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "companion-llm-timers");
            thread.setDaemon(true);
            return thread;
        });
        // A reply that ends in time calls its check off, and the check stays queued, doing nothing,
        // until it was due (at most the shortest limit, 30 s by default; a few hundred bytes each).
        // Removing it would empty the queue between replies, and the next reply's check, as the new
        // head, would wake the timer thread on the way to asking the model; queued behind an earlier
        // one, it wakes nothing.
        executor.setRemoveOnCancelPolicy(false);
        return executor;
    }
}
