package dev.companion.adapter.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.core.event.CompanionEvent;
import dev.companion.core.event.EventReplay;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code GET /api/events}: every conversation's events in one stream, narrowed on request. */
class ConversationEventsTest {

    private Fixture fixture = Fixture.start();

    @AfterEach
    void stop() {
        fixture.close();
    }

    private static Predicate<SseFrames.Frame> named(String event) {
        return frame -> event.equals(frame.event());
    }

    private static Predicate<SseFrames.Frame> backToReadyIn(String conversation) {
        return frame -> "state_changed".equals(frame.event()) && frame.json().get("to").asText().equals("ready")
                && frame.json().get("conversation_id").asText().equals(conversation);
    }

    @Test
    void two_readers_both_see_a_conversation_created_renamed_and_deleted_with_its_id_and_shape() throws Exception {
        try (EventStreamClient first = EventStreamClient.open(fixture, "/api/events");
             EventStreamClient second = EventStreamClient.open(fixture, "/api/events")) {
            String id = fixture.createConversation("{\"title\":\"Drafts\"}");
            fixture.patchJson("/api/conversations/" + id, "{\"title\":\"Final\"}");
            fixture.method("DELETE", "/api/conversations/" + id);

            for (EventStreamClient reader : List.of(first, second)) {
                List<SseFrames.Frame> events = reader.eventsThrough(named("conversation_deleted"));

                assertThat(events).extracting(SseFrames.Frame::event)
                        .containsExactly("conversation_created", "conversation_renamed", "conversation_deleted");
                JsonNode created = events.get(0).json();
                assertThat(created.get("type").asText()).isEqualTo("conversation_created");
                assertThat(created.get("cursor").asLong()).isEqualTo(events.get(0).cursor());
                assertThat(created.get("conversation_id").asText()).isEqualTo(id);
                assertThat(created.at("/conversation/id").asText()).isEqualTo(id);
                assertThat(created.at("/conversation/title").asText()).isEqualTo("Drafts");
                assertThat(created.at("/conversation/item_count").asLong()).isZero();
                assertThat(events.get(1).json().at("/conversation/title").asText()).isEqualTo("Final");
                JsonNode deleted = events.get(2).json();
                assertThat(deleted.get("conversation_id").asText()).isEqualTo(id);
                assertThat(deleted.has("conversation")).isFalse();
            }
        }
    }

    @Test
    void the_stream_carries_every_conversations_turns_each_naming_its_conversation() throws Exception {
        String other = fixture.createConversation("{}");
        try (EventStreamClient events = EventStreamClient.open(fixture, "/api/events")) {
            fixture.model.script("in default");
            fixture.postJson("/api/companion/messages?wait=true", "{\"content\":\"hello default\"}");
            fixture.model.script("in other");
            fixture.postJson("/api/conversations/" + other + "/messages?wait=true", "{\"content\":\"hello other\"}");

            List<SseFrames.Frame> frames = new ArrayList<>(events.eventsThrough(backToReadyIn("default")));
            frames.addAll(events.eventsThrough(backToReadyIn(other)));

            assertThat(frames).extracting(f -> f.json().get("conversation_id").asText())
                    .contains("default", other);
            assertThat(frames).filteredOn(named("text_delta"))
                    .extracting(f -> f.json().get("conversation_id").asText() + ":" + f.json().get("text").asText())
                    .containsExactly("default:in default", other + ":in other");
            assertThat(frames).extracting(SseFrames.Frame::event).contains("conversation_renamed");
            for (int i = 1; i < frames.size(); i++) {
                assertThat(frames.get(i).cursor()).isEqualTo(frames.get(i - 1).cursor() + 1);
            }
        }
    }

    @Test
    void narrowed_to_one_conversation_it_gets_only_that_ones_events_its_renaming_included() throws Exception {
        String watched = fixture.createConversation("{}");
        String ignored = fixture.createConversation("{}");
        try (EventStreamClient events = EventStreamClient.open(fixture, "/api/events?conversation=" + watched)) {
            fixture.model.script("not for you");
            fixture.postJson("/api/conversations/" + ignored + "/messages?wait=true", "{\"content\":\"elsewhere\"}");
            fixture.model.script("for you");
            fixture.postJson("/api/conversations/" + watched + "/messages?wait=true", "{\"content\":\"here\"}");
            fixture.method("DELETE", "/api/conversations/" + watched);

            List<SseFrames.Frame> frames = events.eventsThrough(named("conversation_deleted"));

            assertThat(frames).extracting(f -> f.json().get("conversation_id").asText()).containsOnly(watched);
            assertThat(frames).extracting(SseFrames.Frame::event).containsExactly("state_changed", "turn_started",
                    "conversation_renamed", "text_delta", "turn_completed", "state_changed", "conversation_deleted");
        }
    }

    @Test
    void narrowed_to_an_unknown_conversation_it_is_404_and_to_a_malformed_id_400_before_any_stream() {
        HttpResponse<String> unknown = fixture.get("/api/events?conversation=c-nobody");
        HttpResponse<String> malformed = fixture.get("/api/events?conversation=no%20way");
        HttpResponse<String> twice = fixture.get("/api/events?conversation=default&conversation=default");

        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
        assertThat(Fixture.json(unknown).at("/diagnostics/0/code").asText()).isEqualTo("conversation_not_found");
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(Fixture.json(malformed).at("/diagnostics/0/code").asText()).isEqualTo("invalid_parameter");
        assertThat(twice.statusCode()).isEqualTo(400);
    }

    @Test
    void resuming_after_a_cut_at_every_event_across_conversations_gives_exactly_the_rest() throws Exception {
        long before = fixture.runtime.conversations().latestCursor();
        String other = fixture.createConversation("{}");
        fixture.model.script("a", "b");
        fixture.postJson("/api/conversations/" + other + "/messages?wait=true", "{\"content\":\"one\"}");
        fixture.model.script("c", "d");
        fixture.postJson("/api/companion/messages?wait=true", "{\"content\":\"two\"}");
        fixture.patchJson("/api/conversations/" + other, "{\"title\":\"Renamed\"}");
        List<SseFrames.Frame> all;
        try (EventStreamClient client = EventStreamClient.open(fixture, "/api/events?cursor=" + before)) {
            all = client.eventsThrough(named("conversation_renamed")
                    .and(f -> f.json().at("/conversation/title").asText().equals("Renamed")));
        }
        List<Long> expected = ((EventReplay.Events) fixture.runtime.conversations().eventsAfter(before, 1000))
                .events().stream().map(CompanionEvent::cursor).toList();
        assertThat(all).extracting(SseFrames.Frame::cursor).containsExactlyElementsOf(expected);

        for (int cut = 0; cut < all.size() - 1; cut++) {
            String id = all.get(cut).id();
            try (EventStreamClient resumed = cut % 2 == 0
                    ? EventStreamClient.open(fixture, "/api/events", "Last-Event-ID", id)
                    : EventStreamClient.open(fixture, "/api/events?cursor=" + id)) {
                List<SseFrames.Frame> rest = new ArrayList<>();
                for (int i = cut + 1; i < all.size(); i++) {
                    rest.add(resumed.nextEvent());
                }
                assertThat(rest).as("after cut %d", cut).extracting(SseFrames.Frame::dataLine)
                        .containsExactlyElementsOf(all.subList(cut + 1, all.size()).stream()
                                .map(SseFrames.Frame::dataLine).toList());
            }
        }
    }

    @Test
    void a_narrowed_reader_resumes_from_its_own_last_id_without_gap_or_duplicate() throws Exception {
        String watched = fixture.createConversation("{}");
        String noise = fixture.createConversation("{}");
        long before = fixture.runtime.conversations().latestCursor();
        fixture.model.script("x");
        fixture.postJson("/api/conversations/" + watched + "/messages?wait=true", "{\"content\":\"first\"}");
        fixture.model.script("y");
        fixture.postJson("/api/conversations/" + noise + "/messages?wait=true", "{\"content\":\"noise\"}");
        fixture.model.script("z");
        fixture.postJson("/api/conversations/" + watched + "/messages?wait=true", "{\"content\":\"second\"}");
        String narrowed = "/api/events?conversation=" + watched;

        List<SseFrames.Frame> all;
        try (EventStreamClient client = EventStreamClient.open(fixture, narrowed + "&cursor=" + before)) {
            all = client.eventsThrough(backToReadyIn(watched));
            all.addAll(client.eventsThrough(backToReadyIn(watched)));
        }
        try (EventStreamClient resumed = EventStreamClient.open(fixture, narrowed, "Last-Event-ID",
                all.get(3).id())) {
            List<SseFrames.Frame> rest = new ArrayList<>();
            for (int i = 4; i < all.size(); i++) {
                rest.add(resumed.nextEvent());
            }
            assertThat(rest).extracting(SseFrames.Frame::cursor)
                    .containsExactlyElementsOf(all.subList(4, all.size()).stream().map(SseFrames.Frame::cursor).toList());
        }
        assertThat(all).extracting(f -> f.json().get("conversation_id").asText()).containsOnly(watched);
    }

    @Test
    void the_default_conversations_stream_keeps_to_its_turns_and_tells_no_list_news() throws Exception {
        String other = fixture.createConversation("{}");
        try (EventStreamClient companion = EventStreamClient.open(fixture, "/api/companion/events")) {
            fixture.model.script("elsewhere");
            fixture.postJson("/api/conversations/" + other + "/messages?wait=true", "{\"content\":\"not here\"}");
            fixture.createConversation("{\"title\":\"news\"}");
            fixture.model.script("here");
            fixture.postJson("/api/companion/messages?wait=true", "{\"content\":\"first words\"}");

            List<SseFrames.Frame> frames = companion.eventsThrough(backToReadyIn("default"));

            assertThat(frames).extracting(SseFrames.Frame::event).containsExactly("state_changed", "turn_started",
                    "text_delta", "turn_completed", "state_changed");
            assertThat(frames).extracting(f -> f.json().get("conversation_id").asText()).containsOnly("default");
        }
    }

    @Test
    void reasoning_streams_as_reasoning_delta_apart_from_the_reply() throws Exception {
        fixture.close();
        fixture = Fixture.withModel(new ThinkingModel());
        try (EventStreamClient events = EventStreamClient.open(fixture, "/api/events")) {
            fixture.postJson("/api/companion/messages?wait=true", "{\"content\":\"think\"}");

            List<SseFrames.Frame> frames = events.eventsThrough(backToReadyIn("default"));

            List<SseFrames.Frame> reasoning = frames.stream().filter(named("reasoning_delta")).toList();
            assertThat(reasoning).extracting(f -> f.json().get("text").asText())
                    .containsExactly(ThinkingModel.REASONING, ThinkingModel.MORE_REASONING);
            JsonNode first = reasoning.get(0).json();
            assertThat(first.get("type").asText()).isEqualTo("reasoning_delta");
            assertThat(first.get("conversation_id").asText()).isEqualTo("default");
            assertThat(first.get("turn_id").asText()).isNotBlank();
            assertThat(frames).filteredOn(named("text_delta")).extracting(f -> f.json().get("text").asText())
                    .containsExactly(ThinkingModel.ANSWER);
        }
    }

    @Test
    void the_cap_of_open_streams_counts_both_streams_and_a_closed_one_frees_its_place() throws Exception {
        fixture.close();
        fixture = Fixture.configured(builder -> builder.maxEventStreams(2));
        try (EventStreamClient all = EventStreamClient.open(fixture, "/api/events");
             EventStreamClient companion = EventStreamClient.open(fixture, "/api/companion/events")) {
            HttpResponse<String> refused = fixture.send(HttpRequest.newBuilder(fixture.uri("/api/events"))
                    .GET().build());
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.headers().firstValue("Retry-After")).hasValue("10");
            assertThat(Fixture.json(refused).at("/diagnostics/0/code").asText()).isEqualTo("event_streams_full");
            all.close();
            assertThat(fixture.server.awaitEventStreamsAtMost(1, java.time.Duration.ofSeconds(10))).isTrue();
            try (EventStreamClient again = EventStreamClient.open(fixture, "/api/events?conversation=default")) {
                assertThat(again.next().retry()).isEqualTo("2000");
            }
        }
    }
}
