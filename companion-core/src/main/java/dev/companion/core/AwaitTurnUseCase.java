package dev.companion.core;

import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Wait for a turn to end, for callers that want the whole reply at once (scripts). */
public interface AwaitTurnUseCase {

    /** The turn's outcome, or empty if it has not ended within {@code atMost} or is unknown. */
    Optional<TurnOutcome> awaitTurn(TurnId turn, Duration atMost) throws InterruptedException;

    /**
     * The same wait without holding a thread while the turn runs, for a server answering many
     * requests: completes with what {@link #awaitTurn} would return, possibly on the thread that ends
     * the turn (so whatever follows should be quick). The embedded runtime completes it as the turn
     * ends; this default simply waits on the calling thread.
     */
    default CompletionStage<Optional<TurnOutcome>> whenTurnEnds(TurnId turn, Duration atMost) {
        try {
            return CompletableFuture.completedFuture(awaitTurn(turn, atMost));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(e);
        }
    }
}
