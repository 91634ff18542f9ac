package dev.companion.runtime;

import dev.companion.core.Companion;
import dev.companion.core.ConversationPage;
import dev.companion.core.ConversationQuery;
import dev.companion.core.Conversations;
import dev.companion.core.CreateConversationCommand;
import dev.companion.core.DeleteResult;
import dev.companion.core.EditMessageCommand;
import dev.companion.core.RenameConversationCommand;
import dev.companion.core.SendMessageCommand;
import dev.companion.core.SendResult;
import dev.companion.core.event.CompanionEvent;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.Conversation;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.ConversationNotFoundException;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.InvalidRequestException;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.ProviderInfo;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TranscriptQuery;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;
import dev.companion.core.port.CancellationSignal;
import dev.companion.core.port.ChatMessage;
import dev.companion.core.port.LanguageModel;
import dev.companion.core.port.ModelRequest;
import dev.companion.core.port.ModelResult;
import dev.companion.core.port.TextSink;
import dev.companion.prompts.ClasspathPromptCatalog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class ConversationsTest {

    /**
     * Answers "re: <the user's last words>" in two pieces, after the gate opens: so a test can hold
     * several turns running at once and see whose words each reply answers.
     */
    private static final class EchoModel implements LanguageModel {
        final List<ModelRequest> requests = new CopyOnWriteArrayList<>();
        volatile CountDownLatch gate = new CountDownLatch(0);

        @Override
        public ProviderInfo provider() {
            return new ProviderInfo("echo", "echo-1", true, Optional.empty(), Optional.empty());
        }

        @Override
        public ModelResult stream(ModelRequest request, TextSink sink, CancellationSignal cancellation) {
            requests.add(request);
            try {
                while (!gate.await(20, TimeUnit.MILLISECONDS)) {
                    if (cancellation.isCancelled()) {
                        return ModelResult.finished("cancelled");
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return ModelResult.finished("interrupted");
            }
            String last = request.messages().get(request.messages().size() - 1).content();
            sink.accept("re: ");
            sink.accept(last);
            return ModelResult.finished("stop");
        }
    }

    private final EchoModel model = new EchoModel();
    private final EventRecorder everything = new EventRecorder();
    private CompanionRuntime runtime;
    private Conversations conversations;

    private void start(int maxRunningTurns) {
        runtime = CompanionRuntime.builder().prompts(new ClasspathPromptCatalog()).model(model)
                .maxRunningTurns(maxRunningTurns).build();
        conversations = runtime.conversations();
        conversations.subscribe(conversations.latestCursor(), everything);
    }

    @AfterEach
    void stop() {
        if (runtime != null) {
            runtime.close();
        }
    }

    private static TurnId accepted(SendResult result) {
        assertThat(result).isInstanceOf(SendResult.Accepted.class);
        return ((SendResult.Accepted) result).turn().id();
    }

    private static TurnOutcome outcome(Companion companion, TurnId turn) throws InterruptedException {
        return companion.awaitTurn(turn, Duration.ofSeconds(10)).orElseThrow();
    }

    private static List<TranscriptItem> items(Companion companion) {
        return companion.transcript(TranscriptQuery.from(0, 200)).items();
    }

    private Companion fresh() {
        return conversations.open(conversations.create(CreateConversationCommand.untitled()).id());
    }

    @Test
    void the_default_conversation_exists_from_the_start_and_is_the_runtimes_companion() {
        start(4);

        assertThat(runtime.companion().conversationId()).isEqualTo(ConversationId.DEFAULT);
        assertThat(conversations.list(ConversationQuery.newest()).conversations())
                .extracting(Conversation::id).containsExactly(ConversationId.DEFAULT);
    }

    @Test
    void two_conversations_answer_at_the_same_time_and_keep_their_own_items() throws Exception {
        start(4);
        Companion first = fresh();
        Companion second = fresh();
        model.gate = new CountDownLatch(1);

        TurnId a = accepted(first.send(SendMessageCommand.of("apples")));
        TurnId b = accepted(second.send(SendMessageCommand.of("bananas")));
        assertThat(first.status().state()).isEqualTo(CompanionState.BUSY);
        assertThat(second.status().state()).isEqualTo(CompanionState.BUSY);
        model.gate.countDown();

        assertThat(outcome(first, a)).isInstanceOf(TurnOutcome.Completed.class);
        assertThat(outcome(second, b)).isInstanceOf(TurnOutcome.Completed.class);
        assertThat(items(first)).extracting(TranscriptItem::content).containsExactly("apples", "re: apples");
        assertThat(items(second)).extracting(TranscriptItem::content).containsExactly("bananas", "re: bananas");
    }

    @Test
    void a_second_message_in_the_same_conversation_is_busy_but_another_conversation_is_not() throws Exception {
        start(4);
        Companion first = fresh();
        Companion second = fresh();
        model.gate = new CountDownLatch(1);
        TurnId running = accepted(first.send(SendMessageCommand.of("one")));

        SendResult again = first.send(SendMessageCommand.of("two"));
        SendResult elsewhere = second.send(SendMessageCommand.of("three"));

        assertThat(again).isInstanceOfSatisfying(SendResult.Busy.class, busy -> {
            assertThat(busy.runningTurn()).contains(running);
            assertThat(busy.diagnostics()).extracting(Diagnostic::code).containsExactly(DiagnosticCode.COMPANION_BUSY);
        });
        assertThat(elsewhere).isInstanceOf(SendResult.Accepted.class);
        model.gate.countDown();
        outcome(first, running);
        assertThat(items(first)).extracting(TranscriptItem::content).containsExactly("one", "re: one");
    }

    @Test
    void beyond_the_runtime_wide_limit_a_send_is_busy_with_too_many_running_turns_and_changes_nothing() throws Exception {
        start(1);
        Companion first = fresh();
        Companion second = fresh();
        model.gate = new CountDownLatch(1);
        TurnId running = accepted(first.send(SendMessageCommand.of("one")));

        SendResult refused = second.send(SendMessageCommand.of("two"));

        assertThat(refused).isInstanceOfSatisfying(SendResult.Busy.class, busy -> {
            assertThat(busy.runningTurn()).isEmpty();
            assertThat(busy.diagnostics()).extracting(Diagnostic::code)
                    .containsExactly(DiagnosticCode.TOO_MANY_RUNNING_TURNS);
        });
        assertThat(items(second)).isEmpty();
        model.gate.countDown();
        outcome(first, running);
        assertThat(second.send(SendMessageCommand.of("two again"))).isInstanceOf(SendResult.Accepted.class);
    }

    @Test
    void the_first_message_names_an_untitled_conversation_and_a_rename_wins_after() throws Exception {
        start(4);
        Companion companion = fresh();
        ConversationId id = companion.conversationId();

        TurnId first = accepted(companion.send(SendMessageCommand.of(
                "\n  Plan a three day walking trip through the old streets of Kyoto in spring\nwith budget")));
        outcome(companion, first);
        assertThat(conversations.get(id).orElseThrow().title())
                .contains("Plan a three day walking trip through the old streets of…");

        conversations.rename(new RenameConversationCommand(id, "Kyoto"));
        outcome(companion, accepted(companion.send(SendMessageCommand.of("and Nara?"))));

        Conversation renamed = conversations.get(id).orElseThrow();
        assertThat(renamed.title()).contains("Kyoto");
        assertThat(renamed.itemCount()).isEqualTo(4);
        assertThat(renamed.preview()).contains("re: and Nara?");
        assertThat(everything.events()).filteredOn(e -> e instanceof CompanionEvent.ConversationRenamed)
                .extracting(e -> ((CompanionEvent.ConversationRenamed) e).conversation().title().orElseThrow())
                .containsExactly("Plan a three day walking trip through the old streets of…", "Kyoto");
    }

    @Test
    void a_conversation_created_with_a_title_keeps_it_after_the_first_message() throws Exception {
        start(4);
        Conversation created = conversations.create(CreateConversationCommand.titled("  Recipes  "));
        Companion companion = conversations.open(created.id());

        outcome(companion, accepted(companion.send(SendMessageCommand.of("miso soup"))));

        assertThat(conversations.get(created.id()).orElseThrow().title()).contains("Recipes");
    }

    @Test
    void the_list_is_newest_activity_first_paged_by_cursor_and_searchable() throws Exception {
        start(4);
        Companion older = fresh();
        Companion newer = fresh();
        outcome(older, accepted(older.send(SendMessageCommand.of("about whales"))));
        outcome(newer, accepted(newer.send(SendMessageCommand.of("about owls"))));
        outcome(older, accepted(older.send(SendMessageCommand.of("and dolphins"))));

        ConversationPage firstPage = conversations.list(new ConversationQuery(Optional.empty(), Optional.empty(), 2));
        assertThat(firstPage.conversations()).extracting(Conversation::id)
                .containsExactly(older.conversationId(), newer.conversationId());
        ConversationPage secondPage = conversations.list(
                new ConversationQuery(Optional.empty(), firstPage.nextCursor(), 2));
        assertThat(secondPage.conversations()).extracting(Conversation::id).containsExactly(ConversationId.DEFAULT);
        assertThat(secondPage.nextCursor()).isEmpty();

        assertThat(conversations.list(ConversationQuery.matching("DOLPHIN")).conversations())
                .extracting(Conversation::id).containsExactly(older.conversationId());
        assertThat(conversations.list(ConversationQuery.matching("nothing of the sort")).conversations()).isEmpty();
    }

    @Test
    void a_cursor_not_given_out_is_a_typed_rejection() {
        start(4);

        assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> conversations.list(
                new ConversationQuery(Optional.empty(), Optional.of("%%not-a-cursor"), 10)))
                .satisfies(e -> assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.INVALID_PARAMETER));
    }

    @Test
    void regenerate_supersedes_the_last_reply_and_the_model_never_sees_it_again() throws Exception {
        start(4);
        Companion companion = fresh();
        outcome(companion, accepted(companion.send(SendMessageCommand.of("first"))));
        outcome(companion, accepted(companion.send(SendMessageCommand.of("second"))));

        TurnId again = accepted(companion.regenerate());
        outcome(companion, again);

        assertThat(items(companion)).extracting(TranscriptItem::content, TranscriptItem::status).containsExactly(
                org.assertj.core.groups.Tuple.tuple("first", ItemStatus.ACCEPTED),
                org.assertj.core.groups.Tuple.tuple("re: first", ItemStatus.COMPLETED),
                org.assertj.core.groups.Tuple.tuple("second", ItemStatus.ACCEPTED),
                org.assertj.core.groups.Tuple.tuple("re: second", ItemStatus.SUPERSEDED),
                org.assertj.core.groups.Tuple.tuple("re: second", ItemStatus.COMPLETED));
        ModelRequest regenerated = model.requests.get(model.requests.size() - 1);
        assertThat(regenerated.messages()).extracting(ChatMessage::role, ChatMessage::content).containsExactly(
                org.assertj.core.groups.Tuple.tuple(Role.USER, "first"),
                org.assertj.core.groups.Tuple.tuple(Role.ASSISTANT, "re: first"),
                org.assertj.core.groups.Tuple.tuple(Role.USER, "second"));
    }

    @Test
    void edit_supersedes_the_last_message_and_its_reply_and_answers_the_new_words() throws Exception {
        start(4);
        Companion companion = fresh();
        outcome(companion, accepted(companion.send(SendMessageCommand.of("first"))));
        outcome(companion, accepted(companion.send(SendMessageCommand.of("secnod"))));

        TurnId edited = accepted(companion.edit(EditMessageCommand.of("second")));
        outcome(companion, edited);

        assertThat(items(companion)).extracting(TranscriptItem::content, TranscriptItem::status).containsExactly(
                org.assertj.core.groups.Tuple.tuple("first", ItemStatus.ACCEPTED),
                org.assertj.core.groups.Tuple.tuple("re: first", ItemStatus.COMPLETED),
                org.assertj.core.groups.Tuple.tuple("secnod", ItemStatus.SUPERSEDED),
                org.assertj.core.groups.Tuple.tuple("re: secnod", ItemStatus.SUPERSEDED),
                org.assertj.core.groups.Tuple.tuple("second", ItemStatus.ACCEPTED),
                org.assertj.core.groups.Tuple.tuple("re: second", ItemStatus.COMPLETED));
        assertThat(model.requests.get(model.requests.size() - 1).messages()).extracting(ChatMessage::content)
                .containsExactly("first", "re: first", "second");
    }

    @Test
    void regenerate_and_edit_with_no_message_are_refused_with_their_own_diagnostic() {
        start(4);
        Companion companion = fresh();

        assertThat(companion.regenerate()).isInstanceOfSatisfying(SendResult.Refused.class, refused ->
                assertThat(refused.diagnostics()).extracting(Diagnostic::code)
                        .containsExactly(DiagnosticCode.NOTHING_TO_REGENERATE));
        assertThat(companion.edit(EditMessageCommand.of("x"))).isInstanceOfSatisfying(SendResult.Refused.class,
                refused -> assertThat(refused.diagnostics()).extracting(Diagnostic::code)
                        .containsExactly(DiagnosticCode.NOTHING_TO_EDIT));
        assertThat(items(companion)).isEmpty();
    }

    @Test
    void regenerate_and_edit_while_a_turn_runs_are_busy_and_change_nothing() throws Exception {
        start(4);
        Companion companion = fresh();
        model.gate = new CountDownLatch(1);
        TurnId running = accepted(companion.send(SendMessageCommand.of("hold on")));

        assertThat(companion.regenerate()).isInstanceOf(SendResult.Busy.class);
        assertThat(companion.edit(EditMessageCommand.of("other"))).isInstanceOf(SendResult.Busy.class);

        model.gate.countDown();
        outcome(companion, running);
        assertThat(items(companion)).extracting(TranscriptItem::status)
                .containsExactly(ItemStatus.ACCEPTED, ItemStatus.COMPLETED);
    }

    @Test
    void delete_is_refused_while_the_conversation_answers_then_removes_it_and_tells_every_reader() throws Exception {
        start(4);
        Companion companion = fresh();
        ConversationId id = companion.conversationId();
        model.gate = new CountDownLatch(1);
        TurnId running = accepted(companion.send(SendMessageCommand.of("hello")));

        assertThat(conversations.delete(id)).isInstanceOfSatisfying(DeleteResult.Busy.class,
                busy -> assertThat(busy.runningTurn()).isEqualTo(running));
        model.gate.countDown();
        outcome(companion, running);

        assertThat(conversations.delete(id)).isEqualTo(new DeleteResult.Deleted(id));
        assertThat(conversations.get(id)).isEmpty();
        assertThatExceptionOfType(ConversationNotFoundException.class).isThrownBy(() -> conversations.open(id));
        assertThatExceptionOfType(ConversationNotFoundException.class)
                .isThrownBy(() -> companion.send(SendMessageCommand.of("still there?")));
        assertThatExceptionOfType(ConversationNotFoundException.class).isThrownBy(() -> conversations.delete(id));
        assertThat(everything.events()).filteredOn(e -> e instanceof CompanionEvent.ConversationDeleted)
                .extracting(CompanionEvent::conversationId).containsExactly(id);
    }

    @Test
    void the_default_conversation_deleted_comes_back_empty_when_opened_again() throws Exception {
        start(4);
        Companion companion = runtime.companion();
        outcome(companion, accepted(companion.send(SendMessageCommand.of("hello"))));

        conversations.delete(ConversationId.DEFAULT);
        Companion again = conversations.open(ConversationId.DEFAULT);

        assertThat(items(again)).isEmpty();
        assertThat(conversations.get(ConversationId.DEFAULT)).isPresent();
    }

    @Test
    void an_unknown_conversation_is_not_found() {
        start(4);
        ConversationId unknown = new ConversationId("c-nope");

        assertThatExceptionOfType(ConversationNotFoundException.class).isThrownBy(() -> conversations.open(unknown))
                .satisfies(e -> assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.CONVERSATION_NOT_FOUND));
        assertThatExceptionOfType(ConversationNotFoundException.class)
                .isThrownBy(() -> conversations.rename(new RenameConversationCommand(unknown, "x")));
        assertThat(conversations.get(unknown)).isEmpty();
    }

    @Test
    void one_stream_carries_every_conversations_events_in_one_growing_order_and_a_conversation_only_its_own()
            throws Exception {
        start(4);
        Companion first = fresh();
        Companion second = fresh();
        EventRecorder onlyFirst = new EventRecorder();
        first.subscribe(first.latestCursor(), onlyFirst);

        outcome(first, accepted(first.send(SendMessageCommand.of("one"))));
        outcome(second, accepted(second.send(SendMessageCommand.of("two"))));
        everything.await(e -> e instanceof CompanionEvent.StateChanged s && s.conversationId()
                .equals(second.conversationId()) && s.to() == CompanionState.READY);

        List<Long> cursors = new ArrayList<>(everything.events().stream().map(CompanionEvent::cursor).toList());
        for (int i = 1; i < cursors.size(); i++) {
            assertThat(cursors.get(i)).isEqualTo(cursors.get(i - 1) + 1);
        }
        assertThat(everything.events()).extracting(CompanionEvent::conversationId)
                .contains(first.conversationId(), second.conversationId());
        assertThat(onlyFirst.events()).isNotEmpty().allSatisfy(e -> {
            assertThat(e.conversationId()).isEqualTo(first.conversationId());
            assertThat(e.name()).doesNotStartWith("conversation_");
        });
    }

    @Test
    void the_stores_own_notes_show_in_the_status_of_every_conversation() {
        Diagnostic note = Diagnostic.warning(DiagnosticCode.DATA_DIRECTORY_PERMISSIVE, "Others can write here.");
        InMemoryConversationCatalog memory = new InMemoryConversationCatalog();
        dev.companion.core.port.ConversationCatalog noting = new dev.companion.core.port.ConversationCatalog() {
            @Override public List<dev.companion.core.port.StoredConversation> conversations() { return memory.conversations(); }
            @Override public Optional<dev.companion.core.port.StoredConversation> find(ConversationId id) { return memory.find(id); }
            @Override public dev.companion.core.port.StoredConversation create(ConversationId id, Optional<String> title,
                                                                                java.time.Instant at) { return memory.create(id, title, at); }
            @Override public dev.companion.core.port.StoredConversation retitle(ConversationId id, String title) { return memory.retitle(id, title); }
            @Override public void delete(ConversationId id) { memory.delete(id); }
            @Override public dev.companion.core.port.TranscriptStore transcript(ConversationId id) { return memory.transcript(id); }
            @Override public List<Diagnostic> diagnostics() { return List.of(note); }
            @Override public void close() { memory.close(); }
        };
        runtime = CompanionRuntime.builder().prompts(new ClasspathPromptCatalog()).model(model).catalog(noting).build();
        conversations = runtime.conversations();

        assertThat(runtime.companion().status().diagnostics()).contains(note);
        assertThat(fresh().status().diagnostics()).contains(note);
    }
}
