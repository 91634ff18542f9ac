package dev.companion.core;

import dev.companion.core.model.CompanionState;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;

import java.util.List;

/**
 * What a cancel actually did: stopped a turn ({@code cancelled}), found nothing running
 * ({@code not_running}), or found the turn already ended ({@code already_completed}). Cancelling
 * twice is harmless: the second answer is one of the last two.
 */
public sealed interface CancelResult {

    CompanionState state();

    Diagnostic diagnostic();

    /** The running turn was stopped; its partial reply is stored marked cancelled. */
    record Cancelled(TurnOutcome.Cancelled outcome, Diagnostic diagnostic) implements CancelResult {
        @Override
        public CompanionState state() {
            return CompanionState.CANCELLED;
        }
    }

    /** No turn was running. */
    record NotRunning(Diagnostic diagnostic) implements CancelResult {
        @Override
        public CompanionState state() {
            return CompanionState.READY;
        }
    }

    /** The named turn had already ended, the way its outcome says. */
    record AlreadyCompleted(TurnId turn, TurnOutcome outcome, Diagnostic diagnostic) implements CancelResult {
        @Override
        public CompanionState state() {
            return CompanionState.READY;
        }
    }

    default List<Diagnostic> diagnostics() {
        return List.of(diagnostic());
    }
}
