package dev.companion.runtime;

import dev.companion.core.model.ConversationId;
import dev.companion.core.model.TurnId;
import dev.companion.core.port.TurnLeases;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Turn claims held in this process's memory: for stores one runtime owns (the journal, memory),
 * where a claim cannot outlive its holder. Never touches a store.
 */
final class InProcessTurnLeases implements TurnLeases {

    private final ConcurrentMap<ConversationId, TurnId> holders = new ConcurrentHashMap<>();

    @Override
    public Claim claim(ConversationId conversation, TurnId turn, Holder claimant) {
        TurnId holder = holders.putIfAbsent(conversation, turn);
        if (holder != null) {
            return new Claim.Busy(holder);
        }
        return new Claim.Granted(() -> holders.remove(conversation, turn), List.of());
    }

    @Override
    public Optional<TurnId> holder(ConversationId conversation) {
        return Optional.ofNullable(holders.get(conversation));
    }
}
