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
 * once headers arrive, so the first-token, idle and total limits are timers here that abort the
 * reply by closing the body stream of the current attempt; the reader then fails at once and asks
 * {@link #reason()} why. The first reason wins.
 *
 * <p>The idle limit is not rescheduled at every piece of a reply (that would wake the timer thread
 * twenty times for a reply of twenty pieces): a piece only notes when it arrived, and the idle timer,
 * when it fires, waits again for whatever is left of the limit since the last piece.
 */
final class Watchdog implements AutoCloseable {

    enum Reason { CONNECT, FIRST_TOKEN, IDLE, TOTAL, CANCELLED }

    private static final ScheduledThreadPoolExecutor TIMERS = timers();

    private final Timeouts timeouts;
    private final AtomicReference<Reason> reason = new AtomicReference<>();
    private final CountDownLatch aborted = new CountDownLatch(1);
    private final Object lock = new Object();
    private final ScheduledFuture<?> total;
    private Runnable stopAttempt;
    private ScheduledFuture<?> firstToken;
    private ScheduledFuture<?> idle;
    /** Which attempt the timers belong to; a timer of an earlier attempt does nothing. Guarded by lock. */
    private long attempt;
    /** A piece of this attempt's reply has arrived: the first-token limit is met. */
    private volatile boolean answering;
    private volatile long lastActivityNanos;

    Watchdog(Timeouts timeouts) {
        this.timeouts = timeouts;
        this.total = schedule(Reason.TOTAL, timeouts.total());
    }

    /** An attempt starts: {@code stop} closes its connection; the first-token limit starts now. */
    void startAttempt(Runnable stop) {
        synchronized (lock) {
            attempt++;
            answering = false;
            stopAttempt = stop;
            firstToken = schedule(Reason.FIRST_TOKEN, timeouts.firstToken());
        }
        if (reason.get() != null) {
            stop.run();
        }
    }

    /**
     * A piece of reply text or reasoning arrived: the first-token limit is met and the idle limit
     * starts again. A model that is thinking is answering; keep-alive comments and pings are not.
     */
    void activity() {
        lastActivityNanos = System.nanoTime();
        if (answering) {
            return;
        }
        synchronized (lock) {
            if (answering || stopAttempt == null) {
                return;
            }
            answering = true;
            cancel(firstToken);
            firstToken = null;
            idle = scheduleIdle(attempt, timeouts.idle().toNanos());
        }
    }

    private ScheduledFuture<?> scheduleIdle(long forAttempt, long afterNanos) {
        return TIMERS.schedule(() -> idleCheck(forAttempt), afterNanos, TimeUnit.NANOSECONDS);
    }

    /** The idle timer fired: abort if nothing arrived for the whole limit, or wait for the rest of it. */
    private void idleCheck(long forAttempt) {
        long limit = timeouts.idle().toNanos();
        long quiet = System.nanoTime() - lastActivityNanos;
        synchronized (lock) {
            if (forAttempt != attempt || idle == null) {
                return; // the attempt ended, or another began
            }
            if (quiet < limit) {
                idle = scheduleIdle(forAttempt, limit - quiet);
                return;
            }
        }
        abort(Reason.IDLE);
    }

    void endAttempt() {
        synchronized (lock) {
            cancel(firstToken);
            cancel(idle);
            firstToken = null;
            idle = null;
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
        endAttempt();
        cancel(total);
    }

    private ScheduledFuture<?> schedule(Reason why, Duration after) {
        return TIMERS.schedule(() -> abort(why), after.toNanos(), TimeUnit.NANOSECONDS);
    }

    private static void cancel(ScheduledFuture<?> timer) {
        if (timer != null) {
            timer.cancel(false);
        }
    }

    private static ScheduledThreadPoolExecutor timers() {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "companion-llm-timers");
            thread.setDaemon(true);
            return thread;
        });
        // Most timers are cancelled (a reply that ends in time); do not keep them queued.
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }
}
