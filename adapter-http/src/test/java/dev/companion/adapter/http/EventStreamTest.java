package dev.companion.adapter.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.core.event.CompanionEvent;
import dev.companion.core.event.EventReplay;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code GET /api/companion/events} against a real runtime, read by real clients. */
class EventStreamTest {

    private Fixture fixture = Fixture.start();

    @AfterEach
    void stop() {
        fixture.close();
    }

    private long latest() {
        return fixture.runtime.companion().latestCursor();
    }

    private static boolean backToReady(SseFrames.Frame frame) {
        return "state_changed".equals(frame.event()) && frame.json().get("to").asText().equals("ready");
    }

    private static String deltas(List<SseFrames.Frame> events) {
        return events.stream().filter(e -> "text_delta".equals(e.event()))
                .map(e -> e.json().get("text").asText()).collect(Collectors.joining());
    }

    /**
     * The frames are exactly the default conversation's events from the first to the last, in order:
     * the cursors are one sequence for every conversation, so this stream's own may skip some (the
     * list's news, such as the title a first message gives, are for {@code /api/events}).
     */
    private void assertNoGapOrDuplicate(List<SseFrames.Frame> frames) {
        long first = frames.get(0).cursor();
        long last = frames.get(frames.size() - 1).cursor();
        EventReplay replay = fixture.runtime.companion().eventsAfter(first - 1, 100_000);
        List<Long> expected = ((EventReplay.Events) replay).events().stream().map(CompanionEvent::cursor)
                .filter(cursor -> cursor <= last).toList();
        assertThat(frames).extracting(SseFrames.Frame::cursor).containsExactlyElementsOf(expected);
    }

    @Test
    void a_turns_events_arrive_in_order_with_the_cursor_as_id_and_one_line_of_json_each() throws Exception {
        try (EventStreamClient client = EventStreamClient.open(fixture, "/api/companion/events")) {
            SseFrames.Frame hint = client.next();
            assertThat(hint.retry()).isEqualTo("2000");
            assertThat(client.response.headers().firstValue("Content-Type"))
                    .hasValueSatisfying(type -> assertThat(type).startsWith("text/event-stream"));
            assertThat(client.response.headers().firstValue("Cache-Control")).hasValue("no-store");
            ResponseRules.assertSafeHeaders("events", client.response.headers().map());

            fixture.model.script("Hel", "lo ", "wor", "ld");
            TurnId turn = fixture.sendMessage("hi");
            List<SseFrames.Frame> events = client.eventsThrough(EventStreamTest::backToReady);

            assertThat(events).extracting(SseFrames.Frame::event).containsExactly("state_changed", "turn_started",
                    "text_delta", "text_delta", "text_delta", "text_delta", "turn_completed", "state_changed");
            assertNoGapOrDuplicate(events);
            for (int i = 0; i < events.size(); i++) {
                SseFrames.Frame event = events.get(i);
                assertThat(event.json().get("cursor").asLong()).isEqualTo(event.cursor());
                assertThat(event.json().get("type").asText()).isEqualTo(event.event());
                assertThat(event.json().get("at").asText()).isNotBlank();
            }
            assertThat(events.get(0).json().get("from").asText()).isEqualTo("ready");
            assertThat(events.get(0).json().get("to").asText()).isEqualTo("busy");
            assertThat(events.get(1).json().get("turn_id").asText()).isEqualTo(turn.value());
            assertThat(events.get(1).json().at("/item/content").asText()).isEqualTo("hi");
            assertThat(deltas(events)).isEqualTo("Hello world");
            JsonNode completed = events.get(6).json();
            assertThat(completed.get("turn_id").asText()).isEqualTo(turn.value());
            assertThat(completed.get("state").asText()).isEqualTo("ready");
            assertThat(completed.get("outcome").asText()).isEqualTo("completed");
            assertThat(completed.at("/reply/content").asText()).isEqualTo("Hello world");
            assertThat(completed.at("/reply/status").asText()).isEqualTo("completed");
            assertThat(completed.get("diagnostics").isArray()).isTrue();
        }
    }

    @Test
    void a_cancelled_turn_ends_with_turn_cancelled_and_the_partial_reply() throws Exception {
        try (EventStreamClient client = EventStreamClient.open(fixture, "/api/companion/events")) {
            fixture.sendMessage("go");
            fixture.model.awaitCall();
            fixture.emitAndAwait("half");
            fixture.postJson("/api/companion/cancel", "{}");

            List<SseFrames.Frame> events = client.eventsThrough(EventStreamTest::backToReady);

            SseFrames.Frame ended = events.get(events.size() - 2);
            assertThat(ended.event()).isEqualTo("turn_cancelled");
            assertThat(ended.json().get("state").asText()).isEqualTo("cancelled");
            assertThat(ended.json().at("/reply/content").asText()).isEqualTo("half");
            assertThat(ended.json().at("/diagnostics/0/code").asText()).isEqualTo("cancelled");
        }
    }

    @Test
    void resuming_after_a_cut_at_every_event_index_gives_exactly_the_rest() throws Exception {
        long before = latest();
        fixture.model.script("one ", "two ", "three ", "four");
        fixture.postJson("/api/companion/messages?wait=true", "{\"content\":\"count\"}");
        List<SseFrames.Frame> all;
        try (EventStreamClient client = EventStreamClient.open(fixture, "/api/companion/events?cursor=" + before)) {
            all = client.eventsThrough(EventStreamTest::backToReady);
        }
        assertThat(all).hasSize(8);
        long last = all.get(all.size() - 1).cursor();

        for (int cut = 0; cut < all.size() - 1; cut++) {
            String id = all.get(cut).id();
            try (EventStreamClient resumed = cut % 2 == 0
                    ? EventStreamClient.open(fixture, "/api/companion/events", "Last-Event-ID", id)
                    : EventStreamClient.open(fixture, "/api/companion/events?cursor=" + id)) {
                List<SseFrames.Frame> rest = resumed.eventsThrough(frame -> frame.cursor() == last);

                assertThat(rest).as("resumed after event %d", cut).hasSize(all.size() - cut - 1);
                for (int i = 0; i < rest.size(); i++) {
                    SseFrames.Frame expected = all.get(cut + 1 + i);
                    assertThat(rest.get(i).id()).isEqualTo(expected.id());
                    assertThat(rest.get(i).event()).isEqualTo(expected.event());
                    assertThat(rest.get(i).dataLine()).isEqualTo(expected.dataLine());
                }
            }
        }

        // Resumed at the very last event there is nothing to replay: the next event is the next one made.
        try (EventStreamClient atEnd = EventStreamClient.open(fixture, "/api/companion/events",
                "Last-Event-ID", Long.toString(last))) {
            fixture.model.script("again");
            fixture.sendMessage("more");
            assertThat(atEnd.nextEvent().cursor()).isEqualTo(last + 1);
        }
        // Last-Event-ID wins over ?cursor=, as a browser's reconnect keeps the first URL.
        try (EventStreamClient both = EventStreamClient.open(fixture, "/api/companion/events?cursor=" + before,
                "Last-Event-ID", all.get(6).id())) {
            assertThat(both.nextEvent().cursor()).isEqualTo(all.get(7).cursor());
        }
    }

    @Test
    void a_reader_cut_off_mid_turn_resumes_without_gap_or_duplicate() throws Exception {
        List<SseFrames.Frame> firstPart;
        try (EventStreamClient first = EventStreamClient.open(fixture, "/api/companion/events")) {
            fixture.sendMessage("stream please");
            fixture.model.awaitCall();
            fixture.emitAndAwait("alpha ");
            fixture.emitAndAwait("beta ");
            firstPart = first.eventsThrough(frame -> "text_delta".equals(frame.event())
                    && frame.json().get("text").asText().equals("beta "));
        }
        fixture.emitAndAwait("gamma ");
        fixture.model.emit("delta");
        fixture.model.finish();

        try (EventStreamClient second = EventStreamClient.open(fixture, "/api/companion/events",
                "Last-Event-ID", firstPart.get(firstPart.size() - 1).id())) {
            List<SseFrames.Frame> rest = second.eventsThrough(EventStreamTest::backToReady);
            List<SseFrames.Frame> all = new ArrayList<>(firstPart);
            all.addAll(rest);

            assertThat(deltas(all)).isEqualTo("alpha beta gamma delta");
            assertNoGapOrDuplicate(all);
        }
    }

    @Test
    void an_unknown_or_future_cursor_gets_a_reset_and_then_the_new_events() throws Exception {
        long latest = latest();
        for (String cursor : new String[] {"0", "5", Long.toString(latest + 1_000_000)}) {
            try (EventStreamClient client = EventStreamClient.open(fixture, "/api/companion/events",
                    "Last-Event-ID", cursor)) {
                SseFrames.Frame reset = client.nextEvent();

                assertThat(reset.event()).as(cursor).isEqualTo("reset");
                assertThat(reset.json().get("type").asText()).isEqualTo("reset");
                assertThat(reset.json().get("latest_cursor").asLong()).isEqualTo(latest);
                assertThat(reset.id()).as("the next reconnect resumes from the newest cursor")
                        .isEqualTo(Long.toString(latest));
            }
        }
        try (EventStreamClient client = EventStreamClient.open(fixture, "/api/companion/events?cursor=3")) {
            assertThat(client.nextEvent().event()).isEqualTo("reset");
            fixture.model.script("after reset");
            fixture.sendMessage("hello");
            assertThat(client.nextEvent().cursor()).isEqualTo(latest + 1);
        }
    }

    @Test
    void a_cursor_that_is_not_a_number_is_400_json() {
        for (String query : new String[] {"cursor=abc", "cursor=-1", "cursor=", "cursor=1&cursor=2"}) {
            HttpResponse<String> response = fixture.get("/api/companion/events?" + query);

            assertThat(response.statusCode()).as(query).isEqualTo(400);
            assertThat(Fixture.json(response).at("/diagnostics/0/code").asText()).isEqualTo("invalid_parameter");
        }
        HttpResponse<String> header = fixture.get("/api/companion/events", "Last-Event-ID", "x1");
        assertThat(header.statusCode()).isEqualTo(400);
        ResponseRules.assertSafeHeaders("bad cursor", header.headers());
    }

    @Test
    void text_that_tries_to_forge_or_split_frames_arrives_as_one_event_each_byte_identical() throws Exception {
        String[] hostile = {"line one\r\nline two", "\n\nevent: x\ndata: {\"forged\":true}\n\n", "a\u2028b\u2029c",
                "\r", "\n", "id: 1\n", "data: y\r\r", ": comment\n\n", "\u0000\u001b[31m", "\uD83D\uDE00 \u00e9",
                "</script><script>alert(1)</script>"};
        try (EventStreamClient client = EventStreamClient.open(fixture, "/api/companion/events")) {
            fixture.model.script(hostile);
            fixture.sendMessage("be hostile");
            List<SseFrames.Frame> events = client.eventsThrough(EventStreamTest::backToReady);

            List<SseFrames.Frame> deltas = events.stream().filter(e -> "text_delta".equals(e.event())).toList();
            assertThat(deltas).hasSize(hostile.length);
            for (int i = 0; i < hostile.length; i++) {
                assertThat(deltas.get(i).data()).hasSize(1);
                assertThat(deltas.get(i).json().get("text").asText()).isEqualTo(hostile[i]);
            }
            assertThat(events).extracting(SseFrames.Frame::event).doesNotContain("x");
            assertThat(events.get(events.size() - 2).json().at("/reply/content").asText())
                    .isEqualTo(String.join("", hostile));
        }
    }

    @Test
    void a_reader_that_stops_reading_does_not_slow_the_turn_or_other_readers_and_is_dropped() throws Exception {
        fixture.close();
        fixture = Fixture.configured(builder -> builder.eventQueueCapacity(16).eventKeepAlive(Duration.ofMillis(500)));
        // 13 MB of reply against a 4 KiB receive window and at most 4 MB of kernel send buffer.
        List<String> pieces = IntStream.range(0, 400)
                .mapToObj(i -> String.format("%05d", i) + "x".repeat(32 * 1024)).toList();
        String reply = String.join("", pieces);

        try (Socket stalled = new Socket();
             EventStreamClient healthy = EventStreamClient.open(fixture, "/api/companion/events")) {
            stalled.setReceiveBufferSize(4096);
            stalled.connect(new InetSocketAddress("127.0.0.1", fixture.port), 10_000);
            stalled.setSoTimeout(60_000);
            OutputStream out = stalled.getOutputStream();
            out.write(("GET /api/companion/events HTTP/1.1\r\nHost: 127.0.0.1:" + fixture.port
                    + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = stalled.getInputStream();
            assertThat(RawHttp.line(in)).startsWith("HTTP/1.1 200");
            while (!RawHttp.line(in).isEmpty()) {
                // headers; from here on this reader reads nothing until the turn is over
            }

            // The reply advances in lockstep with the healthy reader: each piece is written only once
            // that reader has the one before, so it never falls behind while the stalled one does.
            TurnId turn = fixture.sendMessage("a long one");
            fixture.model.awaitCall();
            for (String piece : pieces) {
                fixture.model.emit(piece);
                SseFrames.Frame delta = healthy.nextEvent();
                while (!"text_delta".equals(delta.event())) {
                    delta = healthy.nextEvent();
                }
                assertThat(delta.json().get("text").asText()).isEqualTo(piece);
            }
            fixture.model.finish();
            TurnOutcome outcome = fixture.awaitTurn(turn);
            List<SseFrames.Frame> healthyEnd = healthy.eventsThrough(EventStreamTest::backToReady);

            assertThat(outcome).isInstanceOf(TurnOutcome.Completed.class);
            assertThat(healthyEnd).extracting(SseFrames.Frame::event).contains("turn_completed")
                    .doesNotContain("dropped");
            JsonNode page = Fixture.json(fixture.get("/api/companion/transcript"));
            assertThat(page.at("/items/1/content").asText()).isEqualTo(reply);
            assertThat(page.at("/items/1/status").asText()).isEqualTo("completed");

            // Now read what the stalled reader was sent: it was cut off long before the end.
            SseFrames frames = new SseFrames(in);
            List<SseFrames.Frame> received = new ArrayList<>();
            for (SseFrames.Frame frame = frames.next(); frame != null; frame = frames.next()) {
                received.add(frame);
            }
            List<SseFrames.Frame> events = received.stream().filter(f -> f.isEvent() && f.id() != null).toList();
            assertThat(events).extracting(SseFrames.Frame::event).doesNotContain("turn_completed");
            received.stream().filter(f -> "dropped".equals(f.event())).findFirst().ifPresent(dropped ->
                    assertThat(dropped.json().at("/diagnostics/0/code").asText()).isEqualTo("events_dropped"));

            // It resumes from the last event it received whole and gets exactly the rest.
            String lastId = events.get(events.size() - 1).id();
            try (EventStreamClient resumed = EventStreamClient.open(fixture, "/api/companion/events",
                    "Last-Event-ID", lastId)) {
                List<SseFrames.Frame> rest = resumed.eventsThrough(EventStreamTest::backToReady);
                List<SseFrames.Frame> all = new ArrayList<>(events);
                all.addAll(rest);
                assertNoGapOrDuplicate(all);
                assertThat(deltas(all)).isEqualTo(reply);
            }
        }
    }

    @Test
    void a_resume_far_back_is_replayed_whole_even_past_the_queue_bound() throws Exception {
        fixture.close();
        fixture = Fixture.configured(builder -> builder.eventQueueCapacity(4));
        long before = latest();
        String[] pieces = IntStream.range(0, 40).mapToObj(i -> "p" + i + " ").toArray(String[]::new);
        fixture.model.script(pieces);
        fixture.postJson("/api/companion/messages?wait=true", "{\"content\":\"many\"}");

        try (EventStreamClient client = EventStreamClient.open(fixture, "/api/companion/events?cursor=" + before)) {
            List<SseFrames.Frame> events = client.eventsThrough(EventStreamTest::backToReady);

            assertThat(deltas(events)).isEqualTo(String.join("", pieces));
            assertThat(events).extracting(SseFrames.Frame::event).doesNotContain("dropped");
        }
    }

    @Test
    void a_resume_with_a_backlog_past_the_queue_bound_then_follows_live_events_without_being_dropped() throws Exception {
        fixture.close();
        fixture = Fixture.configured(builder -> builder.eventQueueCapacity(16));
        long before = latest();
        TurnId turn = fixture.sendMessage("a long one");
        fixture.model.awaitCall();
        // 13 MB of backlog: more than the kernel buffers between the server and a reader with a
        // 4 KiB receive window hold, so most of the replay is still queued when live events come.
        List<String> backlog = IntStream.range(0, 400)
                .mapToObj(i -> String.format("%05d", i) + "x".repeat(32 * 1024)).toList();
        for (String piece : backlog) {
            fixture.emitAndAwait(piece);
        }

        try (Socket reader = new Socket()) {
            reader.setReceiveBufferSize(4096);
            reader.connect(new InetSocketAddress("127.0.0.1", fixture.port), 10_000);
            reader.setSoTimeout(30_000);
            reader.getOutputStream().write(("GET /api/companion/events?cursor=" + before + " HTTP/1.1\r\nHost: 127.0.0.1:"
                    + fixture.port + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            reader.getOutputStream().flush();
            InputStream in = reader.getInputStream();
            assertThat(RawHttp.line(in)).startsWith("HTTP/1.1 200");
            while (!RawHttp.line(in).isEmpty()) {
                // headers
            }
            SseFrames frames = new SseFrames(new BufferedInputStream(in));
            List<SseFrames.Frame> events = new ArrayList<>();
            SseFrames.Frame frame = frames.next();
            while (!frame.isEvent()) {
                frame = frames.next();
            }
            // An event is written only once the replay has been taken: what follows is live.
            events.add(frame);
            List<String> live = List.of("live-1 ", "live-2 ", "live-3 ", "live-4 ", "live-5");
            for (String piece : live) {
                fixture.emitAndAwait(piece);
            }
            fixture.model.finish();
            fixture.awaitTurn(turn);

            do {
                frame = frames.next();
                assertThat(frame).as("the stream ended before the turn did").isNotNull();
                if (frame.isEvent()) {
                    events.add(frame);
                }
            } while (!backToReady(frame));

            assertThat(events).extracting(SseFrames.Frame::event).doesNotContain("dropped").contains("turn_completed");
            assertThat(deltas(events)).isEqualTo(String.join("", backlog) + String.join("", live));
        }
    }

    @Test
    void event_streams_past_the_cap_are_refused_with_503_until_one_closes() throws Exception {
        fixture.close();
        fixture = Fixture.configured(builder -> builder.maxEventStreams(2).eventKeepAlive(Duration.ofMillis(100)));
        EventStreamClient first = EventStreamClient.open(fixture, "/api/companion/events");
        try (EventStreamClient second = EventStreamClient.open(fixture, "/api/companion/events")) {
            first.next();
            second.next();

            HttpResponse<String> third = fixture.get("/api/companion/events");

            assertThat(third.statusCode()).isEqualTo(503);
            assertThat(third.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
            assertThat(third.headers().firstValue("Retry-After")).hasValueSatisfying(
                    seconds -> assertThat(Integer.parseInt(seconds)).isPositive());
            JsonNode body = Fixture.json(third);
            assertThat(body.get("state").asText()).isEqualTo("error");
            assertThat(body.at("/diagnostics/0/code").asText()).isEqualTo("event_streams_full");
            ResponseRules.assertSafeHeaders("503", third.headers());
            assertThat(fixture.get("/api/companion/status").statusCode()).as("the rest of the API answers").isEqualTo(200);

            // The server frees the slot once it sees the client go, which no client can observe:
            // the test waits for the server's count, with a deadline.
            first.close();
            assertThat(fixture.server.awaitEventStreamsAtMost(1, Duration.ofSeconds(10))).isTrue();
            Optional<EventStreamClient> fourth = EventStreamClient.openUnlessFull(fixture, "/api/companion/events");
            assertThat(fourth).as("a stream is accepted once one has closed").isPresent();
            try (EventStreamClient accepted = fourth.get()) {
                assertThat(accepted.next().retry()).isEqualTo("2000");
                fixture.exchange("hello", "hi");
                assertThat(accepted.eventsThrough(EventStreamTest::backToReady)).extracting(SseFrames.Frame::event)
                        .contains("turn_completed");
            }
        } finally {
            first.close();
        }
    }

    @Test
    void a_closed_stream_frees_its_slot_at_once_so_as_many_clients_can_reconnect() throws Exception {
        fixture.close();
        // A keep-alive far longer than the wait below: only noticing the close itself frees a slot in time.
        fixture = Fixture.configured(builder -> builder.maxEventStreams(4).eventKeepAlive(Duration.ofSeconds(50)));
        List<EventStreamClient> streams = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                streams.add(EventStreamClient.open(fixture, "/api/companion/events"));
            }
            assertThat(EventStreamClient.openUnlessFull(fixture, "/api/companion/events")).as("the cap").isEmpty();

            for (int i = 0; i < 3; i++) {
                streams.remove(0).close();
            }
            assertThat(fixture.server.awaitEventStreamsAtMost(1, Duration.ofSeconds(10)))
                    .as("the closed streams' slots are free long before a keep-alive is due").isTrue();
            for (int i = 0; i < 3; i++) {
                EventStreamClient again = EventStreamClient.open(fixture, "/api/companion/events");
                streams.add(again);
                assertThat(again.next().retry()).isEqualTo("2000");
            }
            assertThat(EventStreamClient.openUnlessFull(fixture, "/api/companion/events")).as("the cap").isEmpty();

            fixture.exchange("to everyone", "hello all");
            for (EventStreamClient stream : streams) {
                assertThat(stream.eventsThrough(EventStreamTest::backToReady)).extracting(SseFrames.Frame::event)
                        .contains("turn_completed");
            }
        } finally {
            for (EventStreamClient stream : streams) {
                stream.close();
            }
        }
    }

    @Test
    void a_reader_that_disconnects_mid_turn_does_not_cancel_it() throws Exception {
        TurnId turn;
        try (EventStreamClient client = EventStreamClient.open(fixture, "/api/companion/events")) {
            turn = fixture.sendMessage("keep going without me");
            fixture.model.awaitCall();
            fixture.emitAndAwait("first ");
            client.eventsThrough(frame -> "text_delta".equals(frame.event()));
        }
        fixture.model.emit("second");
        fixture.model.finish();

        TurnOutcome outcome = fixture.awaitTurn(turn);
        assertThat(outcome).isInstanceOf(TurnOutcome.Completed.class);
        assertThat(outcome.reply().orElseThrow().content()).isEqualTo("first second");
    }

    @Test
    void an_idle_stream_gets_keep_alive_comments() throws Exception {
        fixture.close();
        fixture = Fixture.configured(builder -> builder.eventKeepAlive(Duration.ofMillis(50)));
        try (EventStreamClient client = EventStreamClient.open(fixture, "/api/companion/events")) {
            assertThat(client.next().retry()).isEqualTo("2000");
            SseFrames.Frame keepAlive = client.next();

            assertThat(keepAlive.isEvent()).isFalse();
            assertThat(keepAlive.comments()).containsExactly("keep-alive");
        }
    }

    @Test
    void closing_the_server_ends_the_streams() throws Exception {
        try (EventStreamClient client = EventStreamClient.open(fixture, "/api/companion/events")) {
            client.next();
            fixture.server.close();

            assertThat(client.untilEnd()).allMatch(frame -> !frame.isEvent());
        }
    }

    @Test
    void the_stream_has_the_same_guards_as_the_api() throws Exception {
        HttpResponse<String> foreignOrigin = fixture.get("/api/companion/events", "Origin", "http://evil.example");
        assertThat(foreignOrigin.statusCode()).isEqualTo(403);
        assertThat(Fixture.json(foreignOrigin).at("/diagnostics/0/code").asText()).isEqualTo("forbidden_origin");

        RawHttp.Response foreignHost = RawHttp.exchange(fixture.port,
                "GET /api/companion/events HTTP/1.1\r\nHost: evil.example:" + fixture.port + "\r\n\r\n");
        assertThat(foreignHost.status()).isEqualTo(403);
        assertThat(foreignHost.json().at("/diagnostics/0/code").asText()).isEqualTo("forbidden_host");

        assertThat(fixture.method("POST", "/api/companion/events").statusCode()).isEqualTo(405);

        fixture.close();
        fixture = Fixture.configured(builder -> builder.accessToken(Optional.of("events-token-123")));
        HttpResponse<String> anonymous = fixture.get("/api/companion/events");
        assertThat(anonymous.statusCode()).isEqualTo(401);
        try (EventStreamClient client = EventStreamClient.open(fixture, "/api/companion/events",
                "Authorization", "Bearer events-token-123")) {
            assertThat(client.next().retry()).isEqualTo("2000");
        }
    }
}
