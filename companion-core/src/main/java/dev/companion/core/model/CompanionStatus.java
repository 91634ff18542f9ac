package dev.companion.core.model;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** The Companion's status projection: what a browser or CLI may know about it right now. */
public record CompanionStatus(
        ConversationId conversation,
        CompanionState state,
        WorkerSnapshot worker,
        TransportInfo transport,
        ProviderInfo provider,
        String authority,
        Optional<TurnId> runningTurn,
        List<Diagnostic> diagnostics) {

    public CompanionStatus {
        Objects.requireNonNull(conversation, "conversation");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(worker, "worker");
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(authority, "authority");
        Objects.requireNonNull(runningTurn, "runningTurn");
        diagnostics = List.copyOf(diagnostics);
    }
}
