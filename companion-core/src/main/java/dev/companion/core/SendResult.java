package dev.companion.core;

import dev.companion.core.model.CompanionState;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.Turn;
import dev.companion.core.model.TurnId;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What became of a message (or a regenerate or edit): accepted (its turn started), busy, refused
 * because there was nothing to act on, or failed to be stored.
 */
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

    /**
     * Nothing changed because a turn is running: this conversation's ({@code runningTurn} names it),
     * or, with no turn here, as many as the runtime allows in other conversations.
     */
    record Busy(Optional<TurnId> runningTurn, List<Diagnostic> diagnostics) implements SendResult {
        public Busy {
            Objects.requireNonNull(runningTurn, "runningTurn");
            diagnostics = List.copyOf(diagnostics);
        }

        public Busy(TurnId runningTurn, List<Diagnostic> diagnostics) {
            this(Optional.of(runningTurn), diagnostics);
        }

        @Override
        public CompanionState state() {
            return CompanionState.BUSY;
        }
    }

    /** A regenerate or edit with nothing to act on (no user message yet); nothing changed. */
    record Refused(List<Diagnostic> diagnostics) implements SendResult {
        public Refused {
            diagnostics = List.copyOf(diagnostics);
        }

        @Override
        public CompanionState state() {
            return CompanionState.REJECTED;
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
