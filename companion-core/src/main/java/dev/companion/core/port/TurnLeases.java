package dev.companion.core.port;

import dev.companion.core.model.ConversationId;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TurnId;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Who may run a conversation's turn: one turn per conversation, however many runtimes serve it. A
 * runtime claims the turn before it stores the user's message and releases it once the reply is
 * stored. In one process the runtime's own memory decides; runtimes sharing a database let the
 * database decide, with a lease that expires when its holder stops renewing it (it died), so
 * another runtime can end that turn as interrupted and take the conversation.
 */
public interface TurnLeases {

    /**
     * Claims the conversation's turn for {@code turn}. A lease left by a holder that stopped renewing
     * it is reclaimed first: its reply, with the text stored so far, is kept as interrupted and
     * returned in {@link Claim.Granted#reclaimed()}.
     *
     * @param holder told (on another thread) when the lease is lost while held, or when another
     *               runtime asks for the turn to be cancelled
     * @throws StorageException when the decision cannot be made (the database is unreachable)
     */
    Claim claim(ConversationId conversation, TurnId turn, Holder holder);

    /**
     * Asks the runtime running {@code turn} to cancel it: for a turn another runtime runs. False when
     * that turn holds no lease (it ended), or when leases never leave this process.
     *
     * @throws StorageException when the request cannot be made (the database is unreachable)
     */
    default boolean requestCancel(ConversationId conversation, TurnId turn) {
        return false;
    }

    /** The runtime holding a lease, as the leases reach it. */
    interface Holder {
        /** The lease could not be renewed in time: another runtime may take the conversation. Once. */
        void lost();

        /** Another runtime asked for this turn to be cancelled. */
        default void cancelRequested() {
        }
    }

    /**
     * The turn holding the conversation now, wherever it runs; empty when none does.
     *
     * @throws StorageException when the answer cannot be had (the database is unreachable)
     */
    Optional<TurnId> holder(ConversationId conversation);

    /**
     * Ends the turns whose holders stopped renewing their leases, each as an interrupted reply with
     * the text stored so far. Best effort: a failure leaves them for the next call.
     */
    default List<ReclaimedTurn> reclaimExpired() {
        return List.of();
    }

    /** How often {@link #reclaimExpired} is worth calling; empty when leases never outlive their holder. */
    default Optional<Duration> sweepInterval() {
        return Optional.empty();
    }

    /** The answer to a claim. */
    sealed interface Claim {

        /** The turn is this runtime's until {@link Lease#release()}. */
        record Granted(Lease lease, List<ReclaimedTurn> reclaimed) implements Claim {
            public Granted {
                Objects.requireNonNull(lease, "lease");
                reclaimed = List.copyOf(reclaimed);
            }
        }

        /** Another turn holds the conversation, here or on another runtime. */
        record Busy(TurnId holder) implements Claim {
            public Busy {
                Objects.requireNonNull(holder, "holder");
            }
        }
    }

    /** A held claim. */
    interface Lease {
        /** Gives the conversation back. Best effort: a lease not released expires. Twice is harmless. */
        void release();
    }

    /** A turn whose holder died, ended here: its reply as now stored, empty when it already had one. */
    record ReclaimedTurn(ConversationId conversation, TurnId turn, Optional<TranscriptItem> reply) {
        public ReclaimedTurn {
            Objects.requireNonNull(conversation, "conversation");
            Objects.requireNonNull(turn, "turn");
            Objects.requireNonNull(reply, "reply");
        }
    }
}
