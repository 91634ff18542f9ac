package dev.companion.runtime;

import dev.companion.core.model.Turn;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;
import dev.companion.core.port.CancellationSignal;

import java.util.concurrent.CompletableFuture;

/**
 * The one turn in flight: the reply text so far, and whether it has ended. Whichever of completion,
 * failure, cancel or timeout ends it first wins; after that no delta is kept.
 */
final class RunningTurn {

    final TurnId id;
    final CancellationSignal cancellation = new CancellationSignal();
    final CompletableFuture<TurnOutcome> outcome = new CompletableFuture<>();
    private final StringBuilder reply = new StringBuilder();
    private final StringBuilder reasoning = new StringBuilder();
    private long reasoningStartedNanos = -1;
    private long reasoningEndedNanos = -1;
    private boolean ended;
    private Turn turn;
    private Deadlines.Deadline deadline;
    private dev.companion.core.port.TurnLeases.Lease lease;

    RunningTurn(TurnId id) {
        this.id = id;
    }

    synchronized void started(Turn turn, Deadlines.Deadline deadline) {
        this.turn = turn;
        this.deadline = deadline;
    }

    /** The claim on the conversation this turn holds, released once its reply is stored. */
    synchronized void leased(dev.companion.core.port.TurnLeases.Lease held) {
        this.lease = held;
    }

    synchronized dev.companion.core.port.TurnLeases.Lease lease() {
        return lease;
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

    /**
     * Keeps a piece of reasoning unless the turn has ended. Reasoning runs from its first piece to
     * the first piece of the reply (or the end), which is how long the model "thought".
     */
    synchronized boolean appendReasoning(String delta, long nanos, Runnable whileKeeping) {
        if (ended) {
            return false;
        }
        if (reasoningStartedNanos < 0) {
            reasoningStartedNanos = nanos;
        }
        reasoning.append(delta);
        whileKeeping.run();
        return true;
    }

    /** Notes the first piece of the reply, which ends the reasoning time. */
    synchronized void replyStarted(long nanos) {
        if (reasoningStartedNanos >= 0 && reasoningEndedNanos < 0) {
            reasoningEndedNanos = nanos;
        }
    }

    private java.util.Optional<dev.companion.core.model.TokenUsage> usage = java.util.Optional.empty();

    synchronized void usage(java.util.Optional<dev.companion.core.model.TokenUsage> counted) {
        usage = counted;
    }

    synchronized java.util.Optional<dev.companion.core.model.TokenUsage> usage() {
        return usage;
    }

    synchronized String reasoning() {
        return reasoning.toString();
    }

    /** How long the model reasoned, if it did; up to {@code nowNanos} when the reply never began. */
    synchronized java.util.Optional<java.time.Duration> reasoningTime(long nowNanos) {
        if (reasoningStartedNanos < 0) {
            return java.util.Optional.empty();
        }
        long end = reasoningEndedNanos >= 0 ? reasoningEndedNanos : nowNanos;
        return java.util.Optional.of(java.time.Duration.ofNanos(end - reasoningStartedNanos));
    }

    /** Ends the turn if nobody has yet; returns the reply text, or null when it had already ended. */
    synchronized String end() {
        if (ended) {
            return null;
        }
        ended = true;
        if (deadline != null) {
            deadline.cancel();
        }
        return reply.toString();
    }
}
