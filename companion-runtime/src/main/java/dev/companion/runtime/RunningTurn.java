package dev.companion.runtime;

import dev.companion.core.model.Turn;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;
import dev.companion.core.port.CancellationSignal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/**
 * The one turn in flight: the reply text so far, and whether it has ended. Whichever of completion,
 * failure, cancel or timeout ends it first wins; after that no delta is kept.
 */
final class RunningTurn {

    final TurnId id;
    final CancellationSignal cancellation = new CancellationSignal();
    final CompletableFuture<TurnOutcome> outcome = new CompletableFuture<>();
    private final StringBuilder reply = new StringBuilder();
    private boolean ended;
    private Turn turn;
    private ScheduledFuture<?> deadline;

    RunningTurn(TurnId id) {
        this.id = id;
    }

    synchronized void started(Turn turn, ScheduledFuture<?> deadline) {
        this.turn = turn;
        this.deadline = deadline;
    }

    synchronized Turn turn() {
        return turn;
    }

    /** Keeps a delta unless the turn has ended; says whether it was kept. */
    synchronized boolean append(String delta, Runnable whileKeeping) {
        if (ended) {
            return false;
        }
        reply.append(delta);
        whileKeeping.run();
        return true;
    }

    /** Ends the turn if nobody has yet; returns the reply text, or null when it had already ended. */
    synchronized String end() {
        if (ended) {
            return null;
        }
        ended = true;
        if (deadline != null) {
            deadline.cancel(false);
        }
        return reply.toString();
    }
}
