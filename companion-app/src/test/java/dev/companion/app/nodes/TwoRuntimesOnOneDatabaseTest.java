package dev.companion.app.nodes;

import dev.companion.core.Companion;
import dev.companion.core.SendMessageCommand;
import dev.companion.core.SendResult;
import dev.companion.core.event.CompanionEvent;
import dev.companion.core.event.EventListener;
import dev.companion.core.event.EventReplay;
import dev.companion.core.event.Subscription;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.ProviderInfo;
import dev.companion.core.model.TurnOutcome;
import dev.companion.core.port.CancellationSignal;
import dev.companion.core.port.LanguageModel;
import dev.companion.core.port.ModelRequest;
import dev.companion.core.port.ModelResult;
import dev.companion.core.port.TextSink;
import dev.companion.prompts.ClasspathPromptCatalog;
import dev.companion.runtime.CompanionRuntime;
import dev.companion.store.postgres.PostgresConversationCatalog;
import dev.companion.store.postgres.PostgresDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two runtimes in one process on one real PostgreSQL database, wired as {@code serve --store} wires
 * them: the database decides which turn runs, and each runtime's readers follow the other's turns by
 * the same cursors.
 */
class TwoRuntimesOnOneDatabaseTest {

    @RegisterExtension
    static final PostgresDatabase DATABASE = PostgresDatabase.migrated();

    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private final ClasspathPromptCatalog prompts = new ClasspathPromptCatalog();

    /** A model that writes one piece each time the test lets it, so a turn runs as long as the test wants. */
    static final class SteppedModel implements LanguageModel {
        final Semaphore steps = new Semaphore(0);
        final CountDownLatch started = new CountDownLatch(1);
        private final List<String> pieces;

        SteppedModel(List<String> pieces) {
            this.pieces = pieces;
        }

        @Override
        public ProviderInfo provider() {
            return new ProviderInfo("stepped", "stepped-1", true, Optional.empty(), Optional.empty());
        }

        @Override
        public ModelResult stream(ModelRequest request, TextSink sink, CancellationSignal cancellation) {
            started.countDown();
            for (String piece : pieces) {
                try {
                    if (!steps.tryAcquire(DEADLINE.toMillis(), TimeUnit.MILLISECONDS) || cancellation.isCancelled()) {
                        return ModelResult.cancelled(List.of());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return ModelResult.cancelled(List.of());
                }
                sink.accept(piece);
            }
            return ModelResult.finished("stop");
        }
    }

    private CompanionRuntime node(PostgresConversationCatalog catalog, LanguageModel model, Duration lease) {
        return CompanionRuntime.builder().prompts(prompts).model(model).catalog(catalog)
                .turnLeases(catalog.turnLeases(lease)).sharedEvents(catalog.sharedEvents()).build();
    }

    private static final class Recorder implements EventListener {
        final BlockingQueue<CompanionEvent> events = new LinkedBlockingQueue<>();
        final BlockingQueue<Long> resets = new LinkedBlockingQueue<>();

        @Override
        public void onEvent(CompanionEvent event) {
            events.add(event);
        }

        @Override
        public void onReset(long latestCursor) {
            resets.add(latestCursor);
        }

        <E extends CompanionEvent> E next(Class<E> type) throws InterruptedException {
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (true) {
                CompanionEvent event = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                assertThat(event).as("a %s before the deadline", type.getSimpleName()).isNotNull();
                if (type.isInstance(event)) {
                    return type.cast(event);
                }
            }
        }
    }

    @Test
    void a_send_on_one_runtime_while_the_other_answers_is_busy_and_the_other_runtime_follows_the_reply()
            throws Exception {
        SteppedModel modelA = new SteppedModel(List.of("one ", "two ", "three"));
        SteppedModel modelB = new SteppedModel(List.of("unused"));
        try (CompanionRuntime a = node(PostgresConversationCatalog.open(DATABASE.settings()), modelA, Duration.ofSeconds(15));
             CompanionRuntime b = node(PostgresConversationCatalog.open(DATABASE.settings()), modelB, Duration.ofSeconds(15))) {
            Companion onA = a.companion();
            Companion onB = b.companion();
            Recorder followerOnB = new Recorder();
            long from = onB.latestCursor();
            try (Subscription ignored = onB.subscribe(from, followerOnB)) {
                SendResult sent = onA.send(SendMessageCommand.of("count to three"));
                assertThat(sent).isInstanceOf(SendResult.Accepted.class);
                var turn = ((SendResult.Accepted) sent).turn().id();
                // A cursor A just gave out resumes on B at once, before B's wake-up could have arrived.
                assertThat(onB.eventsAfter(onA.latestCursor(), 10)).isInstanceOf(EventReplay.Events.class);

                SendResult second = onB.send(SendMessageCommand.of("me too"));
                assertThat(second).isInstanceOfSatisfying(SendResult.Busy.class, busy -> {
                    assertThat(busy.runningTurn()).contains(turn);
                    assertThat(busy.diagnostics()).extracting(d -> d.code()).containsExactly(DiagnosticCode.COMPANION_BUSY);
                });

                assertThat(followerOnB.next(CompanionEvent.TurnStarted.class).turn().id()).isEqualTo(turn);
                // B holds no turn of its own, yet says who answers, and keeps the conversation.
                assertThat(onB.status().state()).isEqualTo(dev.companion.core.model.CompanionState.BUSY);
                assertThat(onB.status().runningTurn()).contains(turn);
                assertThat(b.conversations().delete(onB.conversationId()))
                        .isInstanceOf(dev.companion.core.DeleteResult.Busy.class);
                StringBuilder seen = new StringBuilder();
                long lastCursor = 0;
                for (int i = 0; i < 3; i++) {
                    modelA.steps.release();
                    CompanionEvent.TextDelta delta = followerOnB.next(CompanionEvent.TextDelta.class);
                    assertThat(delta.cursor()).isGreaterThan(lastCursor);
                    lastCursor = delta.cursor();
                    seen.append(delta.text());
                }
                assertThat(seen.toString()).isEqualTo("one two three");
                TurnOutcome outcome = onA.awaitTurn(turn, DEADLINE).orElseThrow();
                assertThat(followerOnB.next(CompanionEvent.TurnEnded.class).outcome()).isEqualTo(outcome);
                // A publishes "ready" just after the turn's end: wait for it on B too, so both hold the same events.
                assertThat(followerOnB.next(CompanionEvent.StateChanged.class).to())
                        .isEqualTo(dev.companion.core.model.CompanionState.READY);

                // The same cursors on both runtimes: what B saw resumes on A without loss or duplicate.
                EventReplay onAReplay = onA.eventsAfter(from, 100);
                EventReplay onBReplay = onB.eventsAfter(from, 100);
                assertThat(onAReplay).isInstanceOf(EventReplay.Events.class);
                assertThat(((EventReplay.Events) onAReplay).events())
                        .isEqualTo(((EventReplay.Events) onBReplay).events());

                assertThat(onB.send(SendMessageCommand.of("now me"))).isInstanceOf(SendResult.Accepted.class);
            }
        }
    }

    @Test
    void a_cancel_on_the_other_runtime_stops_the_reply_where_it_runs_and_says_how_it_ended() throws Exception {
        SteppedModel modelA = new SteppedModel(List.of("kept ", "never"));
        try (CompanionRuntime a = node(PostgresConversationCatalog.open(DATABASE.settings()), modelA, Duration.ofSeconds(15));
             CompanionRuntime b = node(PostgresConversationCatalog.open(DATABASE.settings()),
                     new SteppedModel(List.of()), Duration.ofSeconds(15))) {
            var conversation = a.conversations().create(dev.companion.core.CreateConversationCommand.untitled());
            Companion onA = a.conversations().open(conversation.id());
            Companion onB = b.conversations().open(conversation.id());
            Recorder followerOnA = new Recorder();
            try (Subscription ignored = onA.subscribe(onA.latestCursor(), followerOnA)) {
                var turn = ((SendResult.Accepted) onA.send(SendMessageCommand.of("stop me"))).turn().id();
                modelA.steps.release();
                assertThat(followerOnA.next(CompanionEvent.TextDelta.class).text()).isEqualTo("kept ");

                var cancelled = onB.cancel(dev.companion.core.CancelCommand.running());

                assertThat(cancelled).isInstanceOfSatisfying(dev.companion.core.CancelResult.Cancelled.class, result -> {
                    assertThat(result.outcome().turnId()).isEqualTo(turn);
                    assertThat(result.outcome().reply().orElseThrow().content()).isEqualTo("kept ");
                    assertThat(result.outcome().reply().orElseThrow().status()).isEqualTo(ItemStatus.CANCELLED);
                });
                assertThat(onA.awaitTurn(turn, DEADLINE).orElseThrow()).isInstanceOf(TurnOutcome.Cancelled.class);
                assertThat(onB.cancel(dev.companion.core.CancelCommand.running()))
                        .isInstanceOf(dev.companion.core.CancelResult.NotRunning.class);
            }
        }
    }

    @Test
    void opening_a_conversation_on_another_runtime_leaves_a_live_reply_alone() throws Exception {
        SteppedModel modelA = new SteppedModel(List.of("still ", "here"));
        try (CompanionRuntime a = node(PostgresConversationCatalog.open(DATABASE.settings()), modelA, Duration.ofSeconds(15))) {
            var conversation = a.conversations().create(dev.companion.core.CreateConversationCommand.untitled());
            Companion onA = a.conversations().open(conversation.id());
            var turn = ((SendResult.Accepted) onA.send(SendMessageCommand.of("stay"))).turn().id();
            modelA.steps.release();
            assertThat(modelA.started.await(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isTrue();
            try (CompanionRuntime b = node(PostgresConversationCatalog.open(DATABASE.settings()),
                    new SteppedModel(List.of()), Duration.ofSeconds(15))) {
                Companion onB = b.conversations().open(conversation.id());
                assertThat(onB.transcript(dev.companion.core.model.TranscriptQuery.newest(10)).items())
                        .extracting(item -> item.status()).containsExactly(ItemStatus.ACCEPTED);
                modelA.steps.release();
                TurnOutcome outcome = onA.awaitTurn(turn, DEADLINE).orElseThrow();
                assertThat(outcome.reply().orElseThrow().status()).isEqualTo(ItemStatus.COMPLETED);
                assertThat(onB.transcript(dev.companion.core.model.TranscriptQuery.newest(10)).items())
                        .extracting(item -> item.content()).containsExactly("stay", "still here");
            }
        }
    }
}
