package dev.companion.core.event;

import dev.companion.core.model.CompanionState;
import dev.companion.core.model.Conversation;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.Turn;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;

import java.time.Instant;
import java.util.Objects;

/**
 * What happens to the Companion's conversations, in order. Every event names its conversation and
 * has a cursor larger than the one before it within a runtime (one sequence across all
 * conversations); a client that remembers the last cursor it saw can resume from it. The wire name
 * of each event is {@link #name()}, here and nowhere else.
 */
public sealed interface CompanionEvent {

    long cursor();

    Instant at();

    ConversationId conversationId();

    /** The event's name on the wire, e.g. {@code text_delta}. */
    String name();

    record TurnStarted(long cursor, Instant at, ConversationId conversationId, Turn turn) implements CompanionEvent {
        public TurnStarted {
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(conversationId, "conversationId");
            Objects.requireNonNull(turn, "turn");
        }

        @Override
        public String name() {
            return "turn_started";
        }
    }

    /** A piece of the reply, in the order the model produced it. */
    record TextDelta(long cursor, Instant at, ConversationId conversationId, TurnId turnId, String text)
            implements CompanionEvent {
        public TextDelta {
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(conversationId, "conversationId");
            Objects.requireNonNull(turnId, "turnId");
            Objects.requireNonNull(text, "text");
        }

        @Override
        public String name() {
            return "text_delta";
        }
    }

    /** A piece of the model's reasoning, apart from the reply: shown folded, never part of the reply's text. */
    record ReasoningDelta(long cursor, Instant at, ConversationId conversationId, TurnId turnId, String text)
            implements CompanionEvent {
        public ReasoningDelta {
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(conversationId, "conversationId");
            Objects.requireNonNull(turnId, "turnId");
            Objects.requireNonNull(text, "text");
        }

        @Override
        public String name() {
            return "reasoning_delta";
        }
    }

    /** The end of a turn: completed, failed, cancelled or timed out, as its outcome says. */
    record TurnEnded(long cursor, Instant at, ConversationId conversationId, TurnOutcome outcome)
            implements CompanionEvent {
        public TurnEnded {
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(conversationId, "conversationId");
            Objects.requireNonNull(outcome, "outcome");
        }

        @Override
        public String name() {
            return outcome.eventName();
        }
    }

    record StateChanged(long cursor, Instant at, ConversationId conversationId, CompanionState from,
                        CompanionState to) implements CompanionEvent {
        public StateChanged {
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(conversationId, "conversationId");
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
        }

        @Override
        public String name() {
            return "state_changed";
        }
    }

    /** A conversation was started; it is as the list would show it then. */
    record ConversationCreated(long cursor, Instant at, Conversation conversation) implements CompanionEvent {
        public ConversationCreated {
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(conversation, "conversation");
        }

        @Override
        public ConversationId conversationId() {
            return conversation.id();
        }

        @Override
        public String name() {
            return "conversation_created";
        }
    }

    /** A conversation has a new title: given by a person, or taken from its first message. */
    record ConversationRenamed(long cursor, Instant at, Conversation conversation) implements CompanionEvent {
        public ConversationRenamed {
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(conversation, "conversation");
        }

        @Override
        public ConversationId conversationId() {
            return conversation.id();
        }

        @Override
        public String name() {
            return "conversation_renamed";
        }
    }

    /** A conversation and its transcript were deleted. */
    record ConversationDeleted(long cursor, Instant at, ConversationId conversationId) implements CompanionEvent {
        public ConversationDeleted {
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(conversationId, "conversationId");
        }

        @Override
        public String name() {
            return "conversation_deleted";
        }
    }
}
