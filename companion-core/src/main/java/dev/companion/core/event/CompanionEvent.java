package dev.companion.core.event;

import dev.companion.core.model.CompanionState;
import dev.companion.core.model.Turn;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;

import java.time.Instant;
import java.util.Objects;

/**
 * What happens to a Companion, in order. Every event has a cursor that grows by one per event
 * within a runtime; a client that remembers the last cursor it saw can resume from it.
 */
public sealed interface CompanionEvent {

    long cursor();

    Instant at();

    /** The event's name on the wire, e.g. {@code text_delta}. */
    String name();

    record TurnStarted(long cursor, Instant at, Turn turn) implements CompanionEvent {
        public TurnStarted {
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(turn, "turn");
        }

        @Override
        public String name() {
            return "turn_started";
        }
    }

    /** A piece of the reply, in the order the model produced it. */
    record TextDelta(long cursor, Instant at, TurnId turnId, String text) implements CompanionEvent {
        public TextDelta {
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(turnId, "turnId");
            Objects.requireNonNull(text, "text");
        }

        @Override
        public String name() {
            return "text_delta";
        }
    }

    /** The end of a turn: completed, failed, cancelled or timed out, as its outcome says. */
    record TurnEnded(long cursor, Instant at, TurnOutcome outcome) implements CompanionEvent {
        public TurnEnded {
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(outcome, "outcome");
        }

        @Override
        public String name() {
            return outcome.eventName();
        }
    }

    record StateChanged(long cursor, Instant at, CompanionState from, CompanionState to) implements CompanionEvent {
        public StateChanged {
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
        }

        @Override
        public String name() {
            return "state_changed";
        }
    }
}
