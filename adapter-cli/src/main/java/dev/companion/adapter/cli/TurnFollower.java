package dev.companion.adapter.cli;

import dev.companion.core.Companion;
import dev.companion.core.SendMessageCommand;
import dev.companion.core.SendResult;
import dev.companion.core.event.CompanionEvent;
import dev.companion.core.event.EventListener;
import dev.companion.core.event.Subscription;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Sends one message (or regenerates or edits) and follows its turn through the event stream: each text delta goes to the
 * consumer as it arrives, and the turn's {@code TurnEnded} event ends the wait. It subscribes from
 * the latest cursor before sending, so no event of the turn can slip past.
 */
final class TurnFollower {

    /** How long to wait for a turn's outcome after the event stream was reset (events were missed). */
    private static final Duration AFTER_RESET = Duration.ofHours(1);

    private final Companion companion;
    private final Inbox inbox = new Inbox();

    TurnFollower(Companion companion) {
        this.companion = companion;
    }

    /** What became of a message: not accepted (busy, failed), or accepted and ended as the outcome says. */
    sealed interface Result {
        record NotAccepted(SendResult result) implements Result {
        }

        record Ended(SendResult.Accepted accepted, TurnOutcome outcome) implements Result {
        }

        /** {@link #stopWaiting()} was called before the turn ended; it may still be running. */
        record Abandoned(SendResult.Accepted accepted) implements Result {
        }
    }

    Result send(SendMessageCommand command, Consumer<String> deltas) throws InterruptedException {
        return follow(() -> companion.send(command), turn -> { }, deltas);
    }

    /**
     * Starts a turn with {@code start} (a send, a regenerate or an edit of this follower's
     * Companion), telling {@code accepted} the turn's id as soon as it is accepted, before any of
     * the reply is shown (so it can be cancelled), and {@code deltas} each piece of the reply.
     */
    Result follow(Supplier<SendResult> start, Consumer<TurnId> accepted, Consumer<String> deltas)
            throws InterruptedException {
        return follow(start, accepted, (text, at) -> deltas.accept(text));
    }

    /**
     * The pieces of a turn as they arrive, each with the time the runtime published it: the reply's
     * words, and apart from them the model's reasoning (which most views leave out).
     */
    interface Pieces {
        void text(String text, Instant at);

        default void reasoning(String text, Instant at) {
            // Reasoning is shown only when asked for.
        }
    }

    /** As {@link #follow(Supplier, Consumer, Consumer)}, telling {@code pieces} the reasoning too. */
    Result follow(Supplier<SendResult> start, Consumer<TurnId> accepted, Pieces pieces) throws InterruptedException {
        Consumer<String> deltas = text -> pieces.text(text, Instant.now());
        try (Subscription ignored = companion.subscribe(companion.latestCursor(), inbox)) {
            SendResult result = start.get();
            if (!(result instanceof SendResult.Accepted acceptance)) {
                return new Result.NotAccepted(result);
            }
            TurnId turn = acceptance.turn().id();
            accepted.accept(turn);
            StringBuilder shown = new StringBuilder();
            while (true) {
                Object next = inbox.queue.take();
                if (next == Marker.STOP) {
                    return new Result.Abandoned(acceptance);
                }
                if (next instanceof CompanionEvent.TextDelta delta && delta.turnId().equals(turn)) {
                    shown.append(delta.text());
                    pieces.text(delta.text(), delta.at());
                } else if (next instanceof CompanionEvent.ReasoningDelta delta && delta.turnId().equals(turn)) {
                    pieces.reasoning(delta.text(), delta.at());
                } else if (next instanceof CompanionEvent.TurnEnded ended && ended.outcome().turnId().equals(turn)) {
                    return new Result.Ended(acceptance, ended.outcome());
                } else if (next == Marker.RESET) {
                    return new Result.Ended(acceptance, afterReset(turn, shown, deltas));
                }
            }
        }
    }

    /** Events were missed: wait for the outcome and show whatever part of the reply was not shown. */
    private TurnOutcome afterReset(TurnId turn, StringBuilder shown, Consumer<String> deltas)
            throws InterruptedException {
        Optional<TurnOutcome> outcome = companion.awaitTurn(turn, AFTER_RESET);
        if (outcome.isEmpty()) {
            return new TurnOutcome.Failed(turn, CompanionState.ERROR, Optional.empty(), List.of(Diagnostic.error(
                    DiagnosticCode.TURN_NOT_FINISHED, "The turn's end was not seen; its reply may still arrive.")));
        }
        outcome.get().reply().ifPresent(reply -> {
            if (reply.content().startsWith(shown.toString())) {
                String rest = reply.content().substring(shown.length());
                if (!rest.isEmpty()) {
                    deltas.accept(rest);
                }
            }
        });
        return outcome.get();
    }

    /**
     * Ends the wait of {@link #send} from another thread (it returns {@link Result.Abandoned}); the
     * turn itself goes on unless it is cancelled too.
     */
    void stopWaiting() {
        inbox.queue.add(Marker.STOP);
    }

    private enum Marker { RESET, STOP }

    /** Hands events off to the reading thread at once, as the listener contract asks. */
    private static final class Inbox implements EventListener {
        final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();

        @Override
        public void onEvent(CompanionEvent event) {
            queue.add(event);
        }

        @Override
        public void onReset(long latestCursor) {
            queue.add(Marker.RESET);
        }
    }
}
