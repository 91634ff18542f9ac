package dev.companion.runtime;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The threads turns run on. A turn started by a sender that runs on one of these threads (a server
 * hands its send, regenerate and edit requests to {@link #forSenders()}) is answered by that same
 * thread as soon as the sender is done, with no hand-off to another thread: on two processors one
 * thread's wake-up is a good part of a millisecond, and the first piece of a reply is that much
 * sooner without it. A sender that waits for the turn it started first hands it to a thread of its
 * own ({@link #handOffStartedHere()}): it would otherwise wait for itself, and its wait has a limit
 * that a turn answered in place could not keep. Any other caller's turn takes a thread of its own.
 */
final class TurnThreads implements Executor {

    /** At most this many senders on turn threads at once; beyond, {@link #forSenders()} refuses. */
    static final int MAX_SENDERS = 64;

    private final ExecutorService pool;
    private final Semaphore senders = new Semaphore(MAX_SENDERS);
    private final Executor forSenders = this::runOnTurnThread;
    /** On a thread running a sender: the turns it started, to answer once it is done. */
    private final ThreadLocal<ArrayDeque<Runnable>> startedHere = new ThreadLocal<>();

    TurnThreads(ExecutorService pool) {
        this.pool = pool;
    }

    /** Runs a turn: after the sender on this thread is done, or on a thread of its own. */
    @Override
    public void execute(Runnable turn) {
        ArrayDeque<Runnable> later = startedHere.get();
        if (later != null && !pool.isShutdown()) {
            later.add(turn);
            return;
        }
        pool.execute(turn);
    }

    /**
     * Runs senders on turn threads; refuses one ({@link RejectedExecutionException}) when
     * {@value #MAX_SENDERS} already run or the runtime is stopping, so that a flood of requests
     * never makes a thread each: the caller then runs it on a thread of its own.
     */
    Executor forSenders() {
        return forSenders;
    }

    private void runOnTurnThread(Runnable sender) {
        if (!senders.tryAcquire()) {
            throw new RejectedExecutionException("every sending thread is taken");
        }
        try {
            pool.execute(() -> runSender(sender));
        } catch (RejectedExecutionException stopping) {
            senders.release();
            throw stopping;
        }
    }

    private void runSender(Runnable sender) {
        ArrayDeque<Runnable> later = new ArrayDeque<>(1);
        startedHere.set(later);
        try {
            sender.run();
        } finally {
            senders.release();
            startedHere.remove();
            answer(later);
        }
    }

    /**
     * Before this thread waits for a turn: gives the turns its sender started threads of their own.
     * Does nothing on any other thread.
     */
    void handOffStartedHere() {
        ArrayDeque<Runnable> later = startedHere.get();
        if (later != null) {
            handOff(later);
        }
    }

    private void handOff(ArrayDeque<Runnable> turns) {
        for (Runnable turn = turns.poll(); turn != null; turn = turns.poll()) {
            try {
                pool.execute(turn);
            } catch (RejectedExecutionException stopping) {
                turn.run(); // stopping: the turn is already ended and returns at once
            }
        }
    }

    private void answer(ArrayDeque<Runnable> later) {
        Runnable first = later.poll();
        if (first == null) {
            return;
        }
        handOff(later);
        first.run();
    }

    void shutdownNow() {
        pool.shutdownNow();
    }

    boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return pool.awaitTermination(timeout, unit);
    }
}
