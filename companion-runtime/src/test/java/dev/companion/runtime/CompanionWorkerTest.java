package dev.companion.runtime;

import dev.companion.core.CancelCommand;
import dev.companion.core.CancelResult;
import dev.companion.core.Companion;
import dev.companion.core.SendMessageCommand;
import dev.companion.core.SendResult;
import dev.companion.core.event.CompanionEvent;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.InvalidRequestException;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;
import dev.companion.core.port.LanguageModelException;
import dev.companion.core.port.PromptNames;
import dev.companion.core.port.StorageException;
import dev.companion.core.model.TranscriptEntry;
import dev.companion.prompts.ClasspathPromptCatalog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class CompanionWorkerTest {

    private final ClasspathPromptCatalog prompts = new ClasspathPromptCatalog();
    private final ScriptedModel model = new ScriptedModel();
    private final InMemoryTranscriptStore store = new InMemoryTranscriptStore();
    private final EventRecorder recorder = new EventRecorder();
    private CompanionRuntime runtime;
    private Companion companion;

    private void start(Duration turnTimeout) {
        runtime = CompanionRuntime.builder().prompts(prompts).model(model).store(store).turnTimeout(turnTimeout).build();
        companion = runtime.companion();
        companion.subscribe(companion.latestCursor(), recorder);
    }

    private void start() {
        start(Duration.ofMinutes(1));
    }

    @AfterEach
    void stop() {
        if (runtime != null) {
            runtime.close();
        }
    }

    private TurnId sendAccepted(String text) {
        SendResult result = companion.send(SendMessageCommand.of(text));
        assertThat(result).isInstanceOf(SendResult.Accepted.class);
        return ((SendResult.Accepted) result).turn().id();
    }

    private TurnOutcome outcomeOf(TurnId turn) throws InterruptedException {
        return companion.awaitTurn(turn, Duration.ofSeconds(10)).orElseThrow();
    }

    @Test
    void when_turn_ends_completes_with_the_outcome_as_the_turn_ends_with_no_thread_waiting() throws Exception {
        start();
        TurnId turn = sendAccepted("Hello there");
        java.util.concurrent.CompletableFuture<java.util.Optional<TurnOutcome>> ended =
                companion.whenTurnEnds(turn, Duration.ofMinutes(1)).toCompletableFuture();
        assertThat(model.started.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(ended).isNotDone();

        model.delta("Hi");
        model.finish();

        TurnOutcome outcome = ended.get(10, java.util.concurrent.TimeUnit.SECONDS).orElseThrow();
        assertThat(outcome).isInstanceOf(TurnOutcome.Completed.class);
        assertThat(outcome.reply().orElseThrow().content()).isEqualTo("Hi");
        assertThat(companion.whenTurnEnds(turn, Duration.ofMillis(1)).toCompletableFuture().getNow(null))
                .as("an ended turn, at once").contains(outcome);
    }

    @Test
    void when_turn_ends_is_empty_once_the_limit_passes_and_at_once_for_an_unknown_turn() throws Exception {
        start();
        TurnId turn = sendAccepted("Hello there");

        assertThat(companion.whenTurnEnds(turn, Duration.ofMillis(20)).toCompletableFuture()
                .get(10, java.util.concurrent.TimeUnit.SECONDS)).isEmpty();
        assertThat(companion.whenTurnEnds(TurnId.random(), Duration.ofMinutes(1)).toCompletableFuture()
                .getNow(null)).isEmpty();

        model.finish();
        assertThat(outcomeOf(turn)).isInstanceOf(TurnOutcome.Completed.class);
    }

    @Test
    void a_turn_streams_deltas_and_stores_both_items_in_the_runtime_transcript() throws Exception {
        start();
        TurnId turn = sendAccepted("Hello there");
        model.delta("Hi");
        model.delta(", friend");
        model.finish();

        TurnOutcome outcome = outcomeOf(turn);

        assertThat(outcome).isInstanceOf(TurnOutcome.Completed.class);
        assertThat(outcome.reply()).get().extracting(TranscriptItem::content).isEqualTo("Hi, friend");
        List<TranscriptItem> items = store.read(0, 10);
        assertThat(items).extracting(TranscriptItem::role).containsExactly(Role.USER, Role.ASSISTANT);
        assertThat(items).extracting(TranscriptItem::status).containsExactly(ItemStatus.ACCEPTED, ItemStatus.COMPLETED);
        assertThat(items).extracting(TranscriptItem::sequence).containsExactly(0L, 1L);
        assertThat(items).extracting(TranscriptItem::turnId).containsOnly(turn);
        assertThat(items.get(1).source()).isEqualTo("scripted");
        recorder.await(e -> e instanceof CompanionEvent.StateChanged s && s.to() == CompanionState.READY);
        assertThat(recorder.events()).extracting(CompanionEvent::name).containsExactly(
                "state_changed", "turn_started", "text_delta", "text_delta", "turn_completed", "state_changed");
        assertThat(companion.status().state()).isEqualTo(CompanionState.READY);
    }

    @Test
    void event_cursors_grow_with_every_event_of_the_conversation() throws Exception {
        start();
        TurnId turn = sendAccepted("count");
        model.delta("a");
        model.delta("b");
        model.finish();
        outcomeOf(turn);
        recorder.await(e -> e instanceof CompanionEvent.StateChanged s && s.to() == CompanionState.READY);
        List<Long> cursors = recorder.events().stream().map(CompanionEvent::cursor).toList();
        // One sequence for every conversation: a conversation's own events grow, with the list's
        // events (its automatic title) in between.
        assertThat(cursors).isSorted().doesNotHaveDuplicates();
        assertThat(companion.latestCursor()).isEqualTo(cursors.get(cursors.size() - 1));
    }

    @Test
    void the_model_gets_the_system_prompt_and_the_normal_conversation_nothing_else() throws Exception {
        start();
        TurnId first = sendAccepted("first question");
        model.delta("first answer");
        model.finish();
        outcomeOf(first);
        TurnId second = sendAccepted("second question");
        model.finish();
        outcomeOf(second);

        var request = model.requests.get(1);
        assertThat(request.systemPrompt()).isEqualTo(prompts.text(PromptNames.COMPANION_SYSTEM));
        assertThat(request.messages()).extracting(m -> m.role() + ":" + m.content())
                .containsExactly("USER:first question", "ASSISTANT:first answer", "USER:second question");
    }

    @Test
    void while_a_turn_runs_another_message_is_busy_and_changes_nothing() throws Exception {
        start();
        TurnId running = sendAccepted("first");
        long itemsBefore = store.size();
        long cursorBefore = companion.latestCursor();

        SendResult second = companion.send(SendMessageCommand.of("second"));

        assertThat(second).isInstanceOfSatisfying(SendResult.Busy.class, busy -> {
            assertThat(busy.runningTurn()).contains(running);
            assertThat(busy.state()).isEqualTo(CompanionState.BUSY);
            assertThat(busy.diagnostics()).extracting(Diagnostic::code).containsExactly(DiagnosticCode.COMPANION_BUSY);
        });
        assertThat(store.size()).isEqualTo(itemsBefore);
        assertThat(companion.latestCursor()).isEqualTo(cursorBefore);
        assertThat(companion.status().state()).isEqualTo(CompanionState.BUSY);
        assertThat(companion.status().runningTurn()).contains(running);
    }

    @Test
    void under_one_hundred_concurrent_sends_exactly_one_is_accepted() throws Exception {
        start();
        int senders = 100;
        ExecutorService pool = Executors.newFixedThreadPool(senders);
        CountDownLatch ready = new CountDownLatch(senders);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<SendResult>> results = new ArrayList<>();
        for (int i = 0; i < senders; i++) {
            String text = "message " + i;
            results.add(pool.submit((Callable<SendResult>) () -> {
                ready.countDown();
                go.await();
                return companion.send(SendMessageCommand.of(text));
            }));
        }
        assertThat(ready.await(10, TimeUnit.SECONDS)).isTrue();
        go.countDown();
        int accepted = 0;
        int busy = 0;
        for (Future<SendResult> result : results) {
            SendResult r = result.get(10, TimeUnit.SECONDS);
            if (r instanceof SendResult.Accepted) {
                accepted++;
            } else if (r instanceof SendResult.Busy) {
                busy++;
            }
        }
        pool.shutdownNow();

        assertThat(accepted).isEqualTo(1);
        assertThat(busy).isEqualTo(senders - 1);
        assertThat(store.size()).isEqualTo(1);
        assertThat(recorder.events()).filteredOn(e -> e instanceof CompanionEvent.TurnStarted).hasSize(1);
    }

    @Test
    void invalid_messages_are_refused_by_the_command_before_anything_changes() {
        start();
        assertThatExceptionOfType(InvalidRequestException.class)
                .isThrownBy(() -> companion.send(SendMessageCommand.of("   ")))
                .satisfies(e -> assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.EMPTY_MESSAGE));
        assertThatExceptionOfType(InvalidRequestException.class)
                .isThrownBy(() -> companion.send(SendMessageCommand.of("x".repeat(8_001))))
                .satisfies(e -> assertThat(e.state()).isEqualTo(CompanionState.REJECTED));
        assertThat(store.size()).isZero();
        assertThat(recorder.events()).isEmpty();
    }

    @Test
    void cancel_before_the_first_delta_keeps_an_empty_reply_marked_cancelled() throws Exception {
        start();
        TurnId turn = sendAccepted("stop me early");
        assertThat(model.started.await(10, TimeUnit.SECONDS)).isTrue();

        CancelResult result = companion.cancel(CancelCommand.running());

        assertThat(result).isInstanceOfSatisfying(CancelResult.Cancelled.class, c -> {
            assertThat(c.diagnostic().code()).isEqualTo(DiagnosticCode.CANCELLED);
            assertThat(c.outcome().reply()).get().satisfies(reply -> {
                assertThat(reply.status()).isEqualTo(ItemStatus.CANCELLED);
                assertThat(reply.content()).isEmpty();
            });
        });
        assertThat(outcomeOf(turn)).isInstanceOf(TurnOutcome.Cancelled.class);
        assertThat(model.stopped.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(model.sawCancellation).isTrue();
        assertThat(companion.status().state()).isEqualTo(CompanionState.READY);
    }

    @Test
    void cancel_mid_stream_keeps_the_partial_reply_and_stores_no_later_delta() throws Exception {
        start();
        TurnId turn = sendAccepted("stop me midway");
        model.delta("part one, ");
        recorder.await(CompanionEvent.TextDelta.class);

        CancelResult result = companion.cancel(CancelCommand.running());
        model.delta("too late");

        assertThat(result.state()).isEqualTo(CompanionState.CANCELLED);
        assertThat(model.stopped.await(10, TimeUnit.SECONDS)).isTrue();
        TranscriptItem reply = store.read(1, 1).get(0);
        assertThat(reply.content()).isEqualTo("part one, ");
        assertThat(reply.status()).isEqualTo(ItemStatus.CANCELLED);
        assertThat(recorder.events()).filteredOn(e -> e instanceof CompanionEvent.TextDelta)
                .extracting(e -> ((CompanionEvent.TextDelta) e).text()).containsExactly("part one, ");
        assertThat(store.size()).isEqualTo(2);
        assertThat(outcomeOf(turn).state()).isEqualTo(CompanionState.CANCELLED);
    }

    @Test
    void cancel_after_completion_says_already_completed_and_changes_nothing() throws Exception {
        start();
        TurnId turn = sendAccepted("quick");
        model.delta("done");
        model.finish();
        outcomeOf(turn);
        long items = store.size();

        CancelResult named = companion.cancel(CancelCommand.turn(turn));
        CancelResult unnamed = companion.cancel(CancelCommand.running());

        assertThat(named).isInstanceOfSatisfying(CancelResult.AlreadyCompleted.class, c -> {
            assertThat(c.diagnostic().code()).isEqualTo(DiagnosticCode.ALREADY_COMPLETED);
            assertThat(c.outcome()).isInstanceOf(TurnOutcome.Completed.class);
        });
        assertThat(unnamed.diagnostic().code()).isEqualTo(DiagnosticCode.NOT_RUNNING);
        assertThat(store.size()).isEqualTo(items);
        assertThat(store.read(1, 1).get(0).status()).isEqualTo(ItemStatus.COMPLETED);
    }

    @Test
    void a_second_cancel_is_harmless() throws Exception {
        start();
        TurnId turn = sendAccepted("cancel twice");
        model.delta("some");
        recorder.await(CompanionEvent.TextDelta.class);

        CancelResult first = companion.cancel(CancelCommand.turn(turn));
        CancelResult second = companion.cancel(CancelCommand.turn(turn));
        CancelResult third = companion.cancel(CancelCommand.running());

        assertThat(first).isInstanceOf(CancelResult.Cancelled.class);
        assertThat(second).isInstanceOfSatisfying(CancelResult.AlreadyCompleted.class,
                c -> assertThat(c.outcome()).isInstanceOf(TurnOutcome.Cancelled.class));
        assertThat(third).isInstanceOf(CancelResult.NotRunning.class);
        assertThat(store.size()).isEqualTo(2);
        assertThat(recorder.events()).filteredOn(e -> e instanceof CompanionEvent.TurnEnded).hasSize(1);
    }

    @Test
    void cancel_with_nothing_running_says_not_running() {
        start();
        CancelResult result = companion.cancel(CancelCommand.running());
        assertThat(result).isInstanceOf(CancelResult.NotRunning.class);
        assertThat(result.state()).isEqualTo(CompanionState.READY);
        assertThat(companion.cancel(CancelCommand.turn(TurnId.random()))).isInstanceOf(CancelResult.NotRunning.class);
    }

    @Test
    void a_turn_past_its_time_limit_ends_as_timeout_with_the_partial_reply() throws Exception {
        start(Duration.ofMillis(300));
        TurnId turn = sendAccepted("slow one");
        model.delta("partial");

        TurnOutcome outcome = outcomeOf(turn);

        assertThat(outcome).isInstanceOf(TurnOutcome.TimedOut.class);
        assertThat(outcome.state()).isEqualTo(CompanionState.TIMEOUT);
        assertThat(outcome.diagnostics()).extracting(Diagnostic::code).containsExactly(DiagnosticCode.TURN_TIMEOUT);
        TranscriptItem reply = outcome.reply().orElseThrow();
        assertThat(reply.status()).isEqualTo(ItemStatus.TIMEOUT);
        assertThat(model.stopped.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(companion.status().state()).isEqualTo(CompanionState.READY);
        recorder.await(e -> e.name().equals("turn_timed_out"));
    }

    @Test
    void a_model_failure_is_typed_and_partial_text_is_kept_as_incomplete() throws Exception {
        start();
        TurnId turn = sendAccepted("break");
        model.delta("half a");
        model.fail(LanguageModelException.error(Diagnostic.error(DiagnosticCode.MODEL_FAILED, "stream broke"), false));

        TurnOutcome outcome = outcomeOf(turn);

        assertThat(outcome).isInstanceOfSatisfying(TurnOutcome.Failed.class,
                f -> assertThat(f.state()).isEqualTo(CompanionState.ERROR));
        assertThat(outcome.reply().orElseThrow().status()).isEqualTo(ItemStatus.INCOMPLETE);
        assertThat(outcome.reply().orElseThrow().content()).isEqualTo("half a");
        assertThat(companion.status().state()).isEqualTo(CompanionState.READY);
        assertThat(sendAccepted("again")).isNotEqualTo(turn);
    }

    @Test
    void a_provider_asking_to_slow_down_ends_the_turn_busy_with_no_text_as_failed() throws Exception {
        start();
        TurnId turn = sendAccepted("rate limited");
        model.fail(LanguageModelException.busy(Diagnostic.warning(DiagnosticCode.MODEL_FAILED, "slow down"),
                Optional.of(Duration.ofSeconds(3))));

        TurnOutcome outcome = outcomeOf(turn);

        assertThat(outcome.state()).isEqualTo(CompanionState.BUSY);
        assertThat(outcome.reply().orElseThrow().status()).isEqualTo(ItemStatus.FAILED);
    }

    @Test
    void an_unexpected_model_exception_becomes_a_generic_error_without_its_message() throws Exception {
        start();
        TurnId turn = sendAccepted("explode");
        model.fail(null); // a Fail step with no failure throws a NullPointerException inside the model
        TurnOutcome outcome = outcomeOf(turn);
        assertThat(outcome.state()).isEqualTo(CompanionState.ERROR);
        assertThat(outcome.diagnostics()).extracting(Diagnostic::code).containsExactly(DiagnosticCode.MODEL_FAILED);
    }

    @Test
    void a_store_that_cannot_write_means_the_message_is_not_accepted_and_the_companion_stays_ready() {
        runtime = CompanionRuntime.builder().prompts(prompts).model(model).store(new FailingStore()).build();
        companion = runtime.companion();

        SendResult result = companion.send(SendMessageCommand.of("will not stick"));

        assertThat(result).isInstanceOfSatisfying(SendResult.Failed.class, f -> {
            assertThat(f.state()).isEqualTo(CompanionState.ERROR);
            assertThat(f.diagnostics()).extracting(Diagnostic::code).containsExactly(DiagnosticCode.STORAGE_WRITE_FAILED);
        });
        assertThat(companion.status().state()).isEqualTo(CompanionState.READY);
        assertThat(model.requests).isEmpty();
    }

    @Test
    void a_reply_that_cannot_be_stored_for_any_reason_still_ends_the_turn_and_frees_the_companion() throws Exception {
        runtime = CompanionRuntime.builder().prompts(prompts).model(model).store(new ReplyRefusingStore()).build();
        companion = runtime.companion();
        TurnId turn = sendAccepted("store my reply, if you can");
        model.delta("an answer");
        model.finish();

        TurnOutcome outcome = outcomeOf(turn);

        assertThat(outcome.reply()).isEmpty();
        assertThat(outcome.diagnostics()).extracting(Diagnostic::code).containsExactly(DiagnosticCode.STORAGE_WRITE_FAILED);
        assertThat(companion.status().state()).isEqualTo(CompanionState.READY);
        assertThat(companion.cancel(CancelCommand.turn(turn))).isInstanceOf(CancelResult.AlreadyCompleted.class);
    }

    @Test
    void a_host_models_kind_becomes_a_safe_transcript_source() {
        assertThat(CompanionWorker.sourceOf(new dev.companion.core.model.ProviderInfo("My-LLM 2", "m", true,
                Optional.empty(), Optional.empty()))).isEqualTo("my_llm_2");
        assertThat(CompanionWorker.sourceOf(new dev.companion.core.model.ProviderInfo("9000", "m", true,
                Optional.empty(), Optional.empty()))).isEqualTo("model_9000");
        assertThat(CompanionWorker.sourceOf(new dev.companion.core.model.ProviderInfo("x".repeat(50), "m", true,
                Optional.empty(), Optional.empty()))).hasSize(32);
    }

    @Test
    void closing_the_runtime_mid_reply_keeps_the_partial_reply_as_interrupted() throws Exception {
        start();
        TurnId turn = sendAccepted("long story");
        model.delta("once upon");
        recorder.await(CompanionEvent.TextDelta.class);

        runtime.close();

        TranscriptItem reply = store.read(1, 1).get(0);
        assertThat(reply.status()).isEqualTo(ItemStatus.INTERRUPTED);
        assertThat(reply.content()).isEqualTo("once upon");
        assertThat(outcomeOf(turn).diagnostics()).extracting(Diagnostic::code).contains(DiagnosticCode.TURN_INTERRUPTED);
        runtime = null;
    }

    @Test
    void the_worker_registry_lists_the_companion_with_its_profile_and_capabilities() {
        start();
        assertThat(runtime.workers()).singleElement().satisfies(worker -> {
            assertThat(worker.id()).isEqualTo("companion");
            assertThat(worker.label()).isEqualTo("Companion");
            assertThat(worker.status()).isEqualTo(CompanionState.READY);
            assertThat(worker.authority()).isEqualTo("conversation_only");
            assertThat(worker.profile().capabilities().granted()).extracting(Enum::name)
                    .containsExactlyInAnyOrder("ACCEPT_INPUT", "READ_OWN_TRANSCRIPT");
        });
    }

    /** A store that takes the user's message but fails on the reply with an unexpected exception. */
    private static final class ReplyRefusingStore extends InMemoryTranscriptStoreDelegate {
        private final InMemoryTranscriptStore items = new InMemoryTranscriptStore();

        @Override
        public TranscriptItem append(TranscriptEntry entry) {
            if (entry.role() == Role.ASSISTANT) {
                throw new IllegalStateException("the store was closed under the turn");
            }
            return items.append(entry);
        }

        @Override
        public long size() {
            return items.size();
        }

        @Override
        public List<TranscriptItem> read(long start, int limit) {
            return items.read(start, limit);
        }
    }

    /** A store whose disk is full. */
    private static final class FailingStore extends InMemoryTranscriptStoreDelegate {
        @Override
        public TranscriptItem append(TranscriptEntry entry) {
            throw StorageException.writeFailed(new IOException("No space left on device"));
        }
    }

    private abstract static class InMemoryTranscriptStoreDelegate implements dev.companion.core.port.TranscriptStore {
        private final InMemoryTranscriptStore delegate = new InMemoryTranscriptStore();

        @Override
        public long size() {
            return delegate.size();
        }

        @Override
        public List<TranscriptItem> read(long start, int limit) {
            return delegate.read(start, limit);
        }

        @Override
        public void supersede(java.util.Set<Long> sequences) {
            delegate.supersede(sequences);
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
