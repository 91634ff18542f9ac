package dev.companion.core;

/** Stop a running turn. */
public interface CancelTurnUseCase {

    CancelResult cancel(CancelCommand command);
}
