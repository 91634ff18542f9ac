package dev.companion.runtime;

import dev.companion.core.port.ModelResult;

import dev.companion.core.model.CompanionState;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.ItemStatus;

import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;

import java.util.List;
import java.util.Optional;

/** Why a turn is ending, before its outcome is built. One type per way of ending. */
sealed interface TurnEnding {

    List<Diagnostic> diagnostics();

    ItemStatus replyStatus(String text);

    TurnOutcome outcome(TurnId turn, Optional<TranscriptItem> reply, List<Diagnostic> diagnostics);

    /**
     * The model returned: a whole reply, or one the provider ended early (cut at its token limit,
     * filtered, refused), which is kept with what arrived and says so in its status.
     */
    record Completed(ModelResult.Ending modelEnding, List<Diagnostic> diagnostics) implements TurnEnding {
        @Override
        public ItemStatus replyStatus(String text) {
            return switch (modelEnding) {
                case COMPLETED, CANCELLED -> ItemStatus.COMPLETED;
                case TRUNCATED -> ItemStatus.TRUNCATED;
                case FILTERED -> ItemStatus.FILTERED;
                case REFUSED -> ItemStatus.REFUSED;
            };
        }

        @Override
        public TurnOutcome outcome(TurnId turn, Optional<TranscriptItem> reply, List<Diagnostic> diagnostics) {
            return new TurnOutcome.Completed(turn, reply, diagnostics);
        }
    }

    /** The model failed; a reply with some text is incomplete, one with none failed. */
    record Failed(CompanionState state, List<Diagnostic> diagnostics) implements TurnEnding {
        @Override
        public ItemStatus replyStatus(String text) {
            return text.isEmpty() ? ItemStatus.FAILED : ItemStatus.INCOMPLETE;
        }

        @Override
        public TurnOutcome outcome(TurnId turn, Optional<TranscriptItem> reply, List<Diagnostic> diagnostics) {
            return new TurnOutcome.Failed(turn, state, reply, diagnostics);
        }
    }

    record Cancelled(List<Diagnostic> diagnostics) implements TurnEnding {
        @Override
        public ItemStatus replyStatus(String text) {
            return ItemStatus.CANCELLED;
        }

        @Override
        public TurnOutcome outcome(TurnId turn, Optional<TranscriptItem> reply, List<Diagnostic> diagnostics) {
            return new TurnOutcome.Cancelled(turn, reply, diagnostics);
        }
    }

    record TimedOut(List<Diagnostic> diagnostics) implements TurnEnding {
        @Override
        public ItemStatus replyStatus(String text) {
            return ItemStatus.TIMEOUT;
        }

        @Override
        public TurnOutcome outcome(TurnId turn, Optional<TranscriptItem> reply, List<Diagnostic> diagnostics) {
            return new TurnOutcome.TimedOut(turn, reply, diagnostics);
        }
    }

    /** The runtime is stopping while the turn runs. */
    record Interrupted(List<Diagnostic> diagnostics) implements TurnEnding {
        @Override
        public ItemStatus replyStatus(String text) {
            return ItemStatus.INTERRUPTED;
        }

        @Override
        public TurnOutcome outcome(TurnId turn, Optional<TranscriptItem> reply, List<Diagnostic> diagnostics) {
            return new TurnOutcome.Failed(turn, CompanionState.ERROR, reply, diagnostics);
        }
    }
}
