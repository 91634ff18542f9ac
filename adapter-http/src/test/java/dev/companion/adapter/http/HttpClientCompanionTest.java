package dev.companion.adapter.http;

import dev.companion.core.CancelCommand;
import dev.companion.core.CancelResult;
import dev.companion.core.Companion;
import dev.companion.core.SendMessageCommand;
import dev.companion.core.SendResult;
import dev.companion.core.event.CompanionEvent;
import dev.companion.core.event.EventListener;
import dev.companion.core.event.EventReplay;
import dev.companion.core.event.Subscription;
import dev.companion.core.model.CompanionException;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.CompanionStatus;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.TranscriptPage;
import dev.companion.core.model.TranscriptQuery;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;
import dev.companion.core.model.WorkerSnapshot;
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

/** The client side: the core's ports over HTTP give what the runtime gives in-process. */
class HttpClientCompanionTest {

    private Fixture fixture = Fixture.start();
    private Companion remote = CompanionHttpServer.client(fixture.server.baseUri(), Optional.empty());

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void status_transcript_and_workers_read_back_as_core_types() throws Exception {
        fixture.exchange("hello", "hi ", "there");

        CompanionStatus status = remote.status();
        TranscriptPage page = remote.transcript(TranscriptQuery.newest());
        List<WorkerSnapshot> workers = CompanionHttpServer.workersClient(fixture.server.baseUri(), Optional.empty())
                .workers();

        assertThat(status.state()).isEqualTo(CompanionState.READY);
        assertThat(status.transport().kind()).isEqualTo("http_json");
        assertThat(status.provider()).isEqualTo(fixture.runtime.companion().status().provider());
        assertThat(status.worker()).isEqualTo(fixture.runtime.companion().status().worker());
        assertThat(page).isEqualTo(fixture.runtime.companion().transcript(TranscriptQuery.newest()));
        assertThat(workers).isEqualTo(fixture.runtime.workers());
        assertThat(remote.latestCursor()).isEqualTo(fixture.runtime.companion().latestCursor());
    }

    @Test
    void send_await_and_busy_behave_as_in_process() throws Exception {
        SendResult sent = remote.send(new SendMessageCommand("remote hello", "cli"));
        assertThat(sent).isInstanceOf(SendResult.Accepted.class);
        TurnId turn = ((SendResult.Accepted) sent).turn().id();
        fixture.model.awaitCall();

        SendResult busy = remote.send(SendMessageCommand.of("too soon"));
        assertThat(busy).isInstanceOfSatisfying(SendResult.Busy.class,
                b -> assertThat(b.runningTurn()).contains(turn));

        fixture.model.emit("remote ");
        fixture.model.emit("reply");
        fixture.model.finish();
        Optional<TurnOutcome> outcome = remote.awaitTurn(turn, Duration.ofSeconds(30));

        assertThat(outcome).containsInstanceOf(TurnOutcome.Completed.class);
        assertThat(outcome.orElseThrow().reply().orElseThrow().content()).isEqualTo("remote reply");
        assertThat(remote.awaitTurn(turn, Duration.ofSeconds(30))).as("an ended turn answers at once")
                .hasValueSatisfying(o -> assertThat(o.turnId()).isEqualTo(turn));
        assertThat(remote.awaitTurn(new TurnId("turn-unknown"), Duration.ofSeconds(30))).isEmpty();
    }

    @Test
    void the_default_conversation_regenerates_and_edits_over_http_and_refuses_with_nothing_to_act_on()
            throws Exception {
        assertThat(remote.conversationId()).isEqualTo(dev.companion.core.model.ConversationId.DEFAULT);
        assertThat(remote.regenerate()).isInstanceOfSatisfying(SendResult.Refused.class, refused ->
                assertThat(refused.diagnostics().get(0).code()).isEqualTo(DiagnosticCode.NOTHING_TO_REGENERATE));
        assertThat(remote.edit(dev.companion.core.EditMessageCommand.of("x")))
                .isInstanceOfSatisfying(SendResult.Refused.class, refused ->
                        assertThat(refused.diagnostics().get(0).code()).isEqualTo(DiagnosticCode.NOTHING_TO_EDIT));
        fixture.exchange("first", "one");

        fixture.model.script("two");
        TurnId regenerated = ((SendResult.Accepted) remote.regenerate()).turn().id();
        Optional<TurnOutcome> outcome = remote.awaitTurn(regenerated, Duration.ofSeconds(30));

        assertThat(outcome.orElseThrow().reply().orElseThrow().content()).isEqualTo("two");
        assertThat(remote.transcript(TranscriptQuery.newest()).items()).extracting(item -> item.status().wireName())
                .containsExactly("accepted", "superseded", "completed");
    }

    @Test
    void cancel_reports_what_happened() throws Exception {
        SendResult sent = remote.send(SendMessageCommand.of("long"));
        TurnId turn = ((SendResult.Accepted) sent).turn().id();
        fixture.model.awaitCall();
        fixture.emitAndAwait("part");

        CancelResult first = remote.cancel(new CancelCommand(Optional.empty(), Optional.of("stop")));
        CancelResult second = remote.cancel(CancelCommand.running());
        CancelResult named = remote.cancel(CancelCommand.turn(turn));

        assertThat(first).isInstanceOfSatisfying(CancelResult.Cancelled.class,
                c -> assertThat(c.outcome().reply().orElseThrow().content()).isEqualTo("part"));
        assertThat(second).isInstanceOf(CancelResult.NotRunning.class);
        assertThat(named).isInstanceOfSatisfying(CancelResult.AlreadyCompleted.class,
                c -> assertThat(c.outcome()).isInstanceOf(TurnOutcome.Cancelled.class));
    }

    @Test
    void a_subscription_sees_the_same_events_as_the_runtime_in_order() throws Exception {
        BlockingQueue<CompanionEvent> remoteEvents = new LinkedBlockingQueue<>();
        long before = remote.latestCursor();
        try (Subscription subscription = remote.subscribe(before, remoteEvents::add)) {
            fixture.exchange("watch", "a", "b", "c");
            EventReplay replay = fixture.runtime.companion().eventsAfter(before, 100);
            List<CompanionEvent> expected = ((EventReplay.Events) replay).events();

            for (CompanionEvent event : expected) {
                CompanionEvent received = remoteEvents.poll(10, TimeUnit.SECONDS);
                assertThat(received).as("event %d", event.cursor()).isNotNull();
                assertThat(received.cursor()).isEqualTo(event.cursor());
                assertThat(received.name()).isEqualTo(event.name());
            }
            assertThat(remote.eventsAfter(before, 100)).isInstanceOfSatisfying(EventReplay.Events.class,
                    events -> assertThat(events.events()).extracting(CompanionEvent::cursor)
                            .containsExactlyElementsOf(expected.stream().map(CompanionEvent::cursor).toList()));
        }
    }

    @Test
    void an_unknown_cursor_gives_the_subscriber_a_reset() throws Exception {
        BlockingQueue<Long> resets = new LinkedBlockingQueue<>();
        try (Subscription subscription = remote.subscribe(7, new EventListener() {
            @Override
            public void onEvent(CompanionEvent event) {
            }

            @Override
            public void onReset(long latestCursor) {
                resets.add(latestCursor);
            }
        })) {
            assertThat(resets.poll(10, TimeUnit.SECONDS)).isEqualTo(fixture.runtime.companion().latestCursor());
        }
        assertThat(remote.eventsAfter(7, 10)).isInstanceOf(EventReplay.Reset.class);
    }

    @Test
    void refusals_carry_the_servers_diagnostic_and_a_missing_server_is_unreachable() {
        fixture.close();
        fixture = Fixture.configured(builder -> builder.accessToken(Optional.of("client-token-123")));
        Companion anonymous = CompanionHttpServer.client(fixture.server.baseUri(), Optional.empty());
        Companion authorised = CompanionHttpServer.client(fixture.server.baseUri(), Optional.of("client-token-123"));

        assertThatExceptionOfType(CompanionException.class).isThrownBy(anonymous::status)
                .satisfies(e -> assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.UNAUTHORIZED));
        assertThat(authorised.status().state()).isEqualTo(CompanionState.READY);

        URI gone = fixture.server.baseUri();
        fixture.server.close();
        assertThatExceptionOfType(CompanionException.class).isThrownBy(authorised::status)
                .satisfies(e -> {
                    assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.SERVER_UNREACHABLE);
                    assertThat(e.getMessage()).contains(gone.getHost()).doesNotContain("client-token");
                });
    }
}
