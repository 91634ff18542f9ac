package dev.companion.core.model;

import java.util.List;
import java.util.Optional;

/**
 * How a turn ended: one type per ending, so a switch over them is checked for exhaustiveness. The
 * reply is the assistant item as stored; it is empty only when storing it failed.
 */
public sealed interface TurnOutcome {

    TurnId turnId();

    Optional<TranscriptItem> reply();

    List<Diagnostic> diagnostics();

    /** The wire state of this ending. */
    CompanionState state();

    /** How the turn ended; its wire name and event name live there. */
    TurnEnd end();

    /** The event name of this ending on the wire. */
    default String eventName() {
        return end().eventName();
    }

    record Completed(TurnId turnId, Optional<TranscriptItem> reply, List<Diagnostic> diagnostics)
            implements TurnOutcome {
        public Completed {
            diagnostics = List.copyOf(diagnostics);
        }

        @Override
        public CompanionState state() {
            return CompanionState.READY;
        }

        @Override
        public TurnEnd end() {
            return TurnEnd.COMPLETED;
        }
    }

    /** A failed turn; {@code state} is {@code error}, or {@code busy} when the provider asked to slow down. */
    record Failed(TurnId turnId, CompanionState state, Optional<TranscriptItem> reply, List<Diagnostic> diagnostics)
            implements TurnOutcome {
        public Failed {
            if (state != CompanionState.ERROR && state != CompanionState.BUSY) {
                throw new IllegalArgumentException("a failed turn is error or busy");
            }
            diagnostics = List.copyOf(diagnostics);
        }

        @Override
        public TurnEnd end() {
            return TurnEnd.FAILED;
        }
    }

    record Cancelled(TurnId turnId, Optional<TranscriptItem> reply, List<Diagnostic> diagnostics)
            implements TurnOutcome {
        public Cancelled {
            diagnostics = List.copyOf(diagnostics);
        }

        @Override
        public CompanionState state() {
            return CompanionState.CANCELLED;
        }

        @Override
        public TurnEnd end() {
            return TurnEnd.CANCELLED;
        }
    }

    record TimedOut(TurnId turnId, Optional<TranscriptItem> reply, List<Diagnostic> diagnostics)
            implements TurnOutcome {
        public TimedOut {
            diagnostics = List.copyOf(diagnostics);
        }

        @Override
        public CompanionState state() {
            return CompanionState.TIMEOUT;
        }

        @Override
        public TurnEnd end() {
            return TurnEnd.TIMED_OUT;
        }
    }
}
