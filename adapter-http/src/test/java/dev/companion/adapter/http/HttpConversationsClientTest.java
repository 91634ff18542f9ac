package dev.companion.adapter.http;

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
import dev.companion.core.event.EventReplay;
import dev.companion.core.event.Subscription;
import dev.companion.core.model.CompanionException;
import dev.companion.core.model.Conversation;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.ConversationNotFoundException;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.InvalidRequestException;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.TranscriptQuery;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** {@code CompanionHttpServer.conversationsClient}: the Conversations port over HTTP gives what the runtime gives. */
class HttpConversationsClientTest {

    private Fixture fixture = Fixture.start();
    private Conversations remote = CompanionHttpServer.conversationsClient(fixture.server.baseUri(), Optional.empty());

    @AfterEach
    void stop() {
        fixture.close();
    }

    private Conversations local() {
        return fixture.runtime.conversations();
    }

    @Test
    void create_get_list_rename_and_delete_read_back_as_the_runtimes_own() {
        Conversation created = remote.create(CreateConversationCommand.titled("Remote"));
        Conversation untitled = remote.create(CreateConversationCommand.untitled());

        assertThat(local().get(created.id())).contains(created);
        assertThat(untitled.title()).isEmpty();
        assertThat(remote.get(created.id())).isEqualTo(local().get(created.id()));
        assertThat(remote.list(ConversationQuery.newest())).isEqualTo(local().list(ConversationQuery.newest()));
        ConversationPage first = remote.list(new ConversationQuery(Optional.empty(), Optional.empty(), 1));
        assertThat(first.nextCursor()).isPresent();
        assertThat(remote.list(new ConversationQuery(Optional.empty(), first.nextCursor(), 1)))
                .isEqualTo(local().list(new ConversationQuery(Optional.empty(), first.nextCursor(), 1)));
        assertThat(remote.list(ConversationQuery.matching("remote")).conversations())
                .extracting(Conversation::id).containsExactly(created.id());

        Conversation renamed = remote.rename(new RenameConversationCommand(created.id(), "Renamed & more"));
        assertThat(renamed.title()).contains("Renamed & more");
        assertThat(remote.delete(created.id())).isEqualTo(new DeleteResult.Deleted(created.id()));
        assertThat(remote.get(created.id())).isEmpty();
        assertThat(local().get(created.id())).isEmpty();
    }

    @Test
    void an_unknown_conversation_is_not_found_and_a_bad_title_is_an_invalid_request() {
        ConversationId missing = new ConversationId("c-missing");

        assertThat(remote.get(missing)).isEmpty();
        assertThatExceptionOfType(ConversationNotFoundException.class).isThrownBy(() -> remote.open(missing))
                .satisfies(e -> assertThat(e.id()).isEqualTo(missing));
        assertThatExceptionOfType(ConversationNotFoundException.class)
                .isThrownBy(() -> remote.rename(new RenameConversationCommand(missing, "x")));
        assertThatExceptionOfType(ConversationNotFoundException.class).isThrownBy(() -> remote.delete(missing));
        assertThatExceptionOfType(InvalidRequestException.class)
                .isThrownBy(() -> remote.list(new ConversationQuery(Optional.empty(), Optional.of("bogus"), 5)))
                .satisfies(e -> assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.INVALID_PARAMETER));
    }

    @Test
    void an_opened_conversation_sends_awaits_regenerates_and_edits_in_its_own_transcript() throws Exception {
        Conversation conversation = remote.create(CreateConversationCommand.untitled());
        Companion companion = remote.open(conversation.id());
        assertThat(companion.conversationId()).isEqualTo(conversation.id());
        assertThat(companion.regenerate()).isInstanceOfSatisfying(SendResult.Refused.class, refused ->
                assertThat(refused.diagnostics().get(0).code()).isEqualTo(DiagnosticCode.NOTHING_TO_REGENERATE));
        assertThat(companion.edit(EditMessageCommand.of("x"))).isInstanceOf(SendResult.Refused.class);

        fixture.model.script("first");
        TurnId sent = ((SendResult.Accepted) companion.send(SendMessageCommand.of("question"))).turn().id();
        assertThat(companion.awaitTurn(sent, Duration.ofSeconds(30))).containsInstanceOf(TurnOutcome.Completed.class);
        fixture.model.script("again");
        TurnId regenerated = ((SendResult.Accepted) companion.regenerate()).turn().id();
        assertThat(companion.awaitTurn(regenerated, Duration.ofSeconds(30)).orElseThrow().reply().orElseThrow()
                .content()).isEqualTo("again");
        fixture.model.script("edited answer");
        TurnId edited = ((SendResult.Accepted) companion.edit(EditMessageCommand.of("better question"))).turn().id();
        companion.awaitTurn(edited, Duration.ofSeconds(30));

        Companion inProcess = local().open(conversation.id());
        assertThat(companion.transcript(TranscriptQuery.newest()))
                .isEqualTo(inProcess.transcript(TranscriptQuery.newest()));
        assertThat(companion.transcript(TranscriptQuery.newest()).items()).extracting(i -> i.status())
                .containsExactly(ItemStatus.SUPERSEDED, ItemStatus.SUPERSEDED, ItemStatus.SUPERSEDED,
                        ItemStatus.ACCEPTED, ItemStatus.COMPLETED);
        assertThat(companion.status().conversation()).isEqualTo(conversation.id());
        assertThat(fixture.runtime.companion().transcript(TranscriptQuery.newest()).totalItems()).isZero();
    }

    @Test
    void a_busy_conversation_is_not_deleted_and_busy_names_its_turn() throws Exception {
        Conversation conversation = remote.create(CreateConversationCommand.untitled());
        Companion companion = remote.open(conversation.id());
        TurnId turn = ((SendResult.Accepted) companion.send(SendMessageCommand.of("hold"))).turn().id();
        fixture.model.awaitCall();

        assertThat(remote.delete(conversation.id())).isInstanceOfSatisfying(DeleteResult.Busy.class,
                busy -> assertThat(busy.runningTurn()).isEqualTo(turn));
        assertThat(companion.send(SendMessageCommand.of("again"))).isInstanceOfSatisfying(SendResult.Busy.class,
                busy -> assertThat(busy.runningTurn()).contains(turn));
        fixture.model.finish();
        companion.awaitTurn(turn, Duration.ofSeconds(30));
    }

    @Test
    void the_events_of_every_conversation_arrive_to_a_subscriber_as_in_process() throws Exception {
        BlockingQueue<CompanionEvent> received = new LinkedBlockingQueue<>();
        long before = remote.latestCursor();
        assertThat(before).isEqualTo(local().latestCursor());
        try (Subscription subscription = remote.subscribe(before, received::add)) {
            Conversation created = remote.create(CreateConversationCommand.titled("Watched"));
            fixture.exchange("default words", "default reply");
            remote.rename(new RenameConversationCommand(created.id(), "Watched closely"));
            remote.delete(created.id());
            List<CompanionEvent> expected = ((EventReplay.Events) local().eventsAfter(before, 1000)).events();

            for (CompanionEvent event : expected) {
                CompanionEvent got = received.poll(10, TimeUnit.SECONDS);
                assertThat(got).as("event %d", event.cursor()).isNotNull();
                if (event instanceof CompanionEvent.TextDelta || event instanceof CompanionEvent.ConversationCreated
                        || event instanceof CompanionEvent.ConversationRenamed
                        || event instanceof CompanionEvent.ConversationDeleted) {
                    assertThat(got).isEqualTo(event);
                }
                assertThat(got.cursor()).isEqualTo(event.cursor());
                assertThat(got.name()).isEqualTo(event.name());
                assertThat(got.conversationId()).isEqualTo(event.conversationId());
            }
            assertThat(remote.eventsAfter(before, 1000)).isInstanceOfSatisfying(EventReplay.Events.class,
                    events -> assertThat(events.events()).extracting(CompanionEvent::cursor)
                            .containsExactlyElementsOf(expected.stream().map(CompanionEvent::cursor).toList()));
        }
    }

    @Test
    void a_companion_of_another_conversation_replays_only_its_own_turns() throws Exception {
        Conversation conversation = remote.create(CreateConversationCommand.untitled());
        Companion companion = remote.open(conversation.id());
        long before = companion.latestCursor();
        fixture.model.script("mine");
        companion.awaitTurn(((SendResult.Accepted) companion.send(SendMessageCommand.of("hello"))).turn().id(),
                Duration.ofSeconds(30));
        fixture.exchange("not mine", "theirs");

        EventReplay remoteReplay = companion.eventsAfter(before, 1000);
        EventReplay localReplay = local().open(conversation.id()).eventsAfter(before, 1000);

        assertThat(remoteReplay).isInstanceOfSatisfying(EventReplay.Events.class, events -> {
            assertThat(events.events()).extracting(CompanionEvent::cursor).containsExactlyElementsOf(
                    ((EventReplay.Events) localReplay).events().stream().map(CompanionEvent::cursor).toList());
            assertThat(events.events()).extracting(CompanionEvent::conversationId).containsOnly(conversation.id());
        });
    }

    @Test
    void a_server_that_is_gone_is_unreachable() {
        URI gone = fixture.server.baseUri();
        fixture.close();
        Conversations nowhere = CompanionHttpServer.conversationsClient(gone, Optional.empty());

        assertThatExceptionOfType(CompanionException.class).isThrownBy(() -> nowhere.list(ConversationQuery.newest()))
                .satisfies(e -> assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.SERVER_UNREACHABLE));
        fixture = Fixture.start();
    }
}
