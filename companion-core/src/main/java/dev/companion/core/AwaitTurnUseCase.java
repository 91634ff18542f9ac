package dev.companion.core;

import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;

import java.time.Duration;
import java.util.Optional;

/** Wait for a turn to end, for callers that want the whole reply at once (scripts). */
public interface AwaitTurnUseCase {

    /** The turn's outcome, or empty if it has not ended within {@code atMost} or is unknown. */
    Optional<TurnOutcome> awaitTurn(TurnId turn, Duration atMost) throws InterruptedException;
}
