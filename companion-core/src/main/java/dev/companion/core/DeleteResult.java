package dev.companion.core;

import dev.companion.core.model.CompanionState;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.TurnId;

import java.util.List;

/** What a delete did: removed the conversation and its transcript, or refused because a turn runs in it. */
public sealed interface DeleteResult {

    CompanionState state();

    List<Diagnostic> diagnostics();

    record Deleted(ConversationId id) implements DeleteResult {
        @Override
        public CompanionState state() {
            return CompanionState.READY;
        }

        @Override
        public List<Diagnostic> diagnostics() {
            return List.of();
        }
    }

    record Busy(TurnId runningTurn, List<Diagnostic> diagnostics) implements DeleteResult {
        public Busy {
            diagnostics = List.copyOf(diagnostics);
        }

        @Override
        public CompanionState state() {
            return CompanionState.BUSY;
        }
    }
}
