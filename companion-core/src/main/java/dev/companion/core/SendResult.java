package dev.companion.core;

import dev.companion.core.model.CompanionState;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.Turn;
import dev.companion.core.model.TurnId;

import java.util.List;

/** What became of a message: accepted (its turn started), busy, or failed to be stored. */
public sealed interface SendResult {

    CompanionState state();

    List<Diagnostic> diagnostics();

    record Accepted(Turn turn, List<Diagnostic> diagnostics) implements SendResult {
        public Accepted {
            diagnostics = List.copyOf(diagnostics);
        }

        @Override
        public CompanionState state() {
            return CompanionState.ACCEPTED;
        }
    }

    /** Another turn is running; nothing changed. */
    record Busy(TurnId runningTurn, List<Diagnostic> diagnostics) implements SendResult {
        public Busy {
            diagnostics = List.copyOf(diagnostics);
        }

        @Override
        public CompanionState state() {
            return CompanionState.BUSY;
        }
    }

    /** The message could not be kept (storage failed); it was not accepted and nothing changed. */
    record Failed(List<Diagnostic> diagnostics) implements SendResult {
        public Failed {
            diagnostics = List.copyOf(diagnostics);
        }

        @Override
        public CompanionState state() {
            return CompanionState.ERROR;
        }
    }
}
