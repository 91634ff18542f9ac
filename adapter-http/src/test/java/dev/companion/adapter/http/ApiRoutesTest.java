package dev.companion.adapter.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;
import dev.companion.prompts.ClasspathPromptCatalog;
import dev.companion.runtime.OfflineLanguageModel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The JSON routes against a real runtime: what each answers when things go right. */
class ApiRoutesTest {

    private Fixture fixture;

    @BeforeEach
    void start() {
        fixture = Fixture.start();
    }

    @AfterEach
    void stop() {
        try {
            ResponseRules.assertEverySafe(fixture.responses, (what, response) -> {
                if (response.uri().getPath().startsWith("/api/")) {
                    assertThat(response.headers().firstValue("Cache-Control")).as(what).hasValue("no-store");
                    assertThat(response.headers().firstValue("Content-Type")).as(what)
                            .hasValue("application/json; charset=utf-8");
                }
            });
        } finally {
            fixture.close();
        }
    }

    @Test
    void status_tells_the_state_the_http_transport_the_provider_the_limits_and_the_authority() {
        HttpResponse<String> response = fixture.get("/api/companion/status");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode status = Fixture.json(response);
        assertThat(status.get("state").asText()).isEqualTo("ready");
        assertThat(status.get("authority").asText()).isEqualTo("conversation_only");
        assertThat(status.get("running_turn_id").isNull()).isTrue();
        assertThat(status.at("/transport/kind").asText()).isEqualTo("http_json");
        assertThat(status.at("/transport/completion").asText()).isEqualTo("sse");
        assertThat(status.at("/transport/limitation").isNull()).isTrue();
        assertThat(status.at("/provider/kind").asText()).isEqualTo("scripted");
        assertThat(status.at("/provider/model").asText()).isEqualTo("scripted-1");
        assertThat(status.at("/provider/live").asBoolean()).isTrue();
        assertThat(status.at("/provider/host").asText()).isEqualTo("model.test");
        assertThat(status.at("/provider/reason").isNull()).isTrue();
        assertThat(status.at("/limits/max_message_characters").asInt()).isEqualTo(8000);
        assertThat(status.at("/limits/max_page_size").asInt()).isEqualTo(200);
        assertThat(status.at("/limits/max_body_bytes").asInt()).isEqualTo(65536);
        assertThat(status.at("/worker/id").asText()).isEqualTo("companion");
        assertThat(status.at("/worker/status").asText()).isEqualTo("ready");
        assertThat(status.get("diagnostics").isArray()).isTrue();
    }

    @Test
    void status_keeps_the_offline_models_limitation_and_warning() {
        fixture.close();
        fixture = Fixture.withModel(new OfflineLanguageModel(new ClasspathPromptCatalog(), Duration.ZERO));

        JsonNode status = Fixture.json(fixture.get("/api/companion/status"));

        assertThat(status.at("/provider/kind").asText()).isEqualTo("offline");
        assertThat(status.at("/provider/live").asBoolean()).isFalse();
        assertThat(status.at("/transport/kind").asText()).isEqualTo("http_json");
        assertThat(status.at("/transport/limitation").asText()).isNotBlank();
        assertThat(status.get("diagnostics")).anySatisfy(diagnostic -> {
            assertThat(diagnostic.get("code").asText()).isEqualTo("provider_offline");
            assertThat(diagnostic.get("severity").asText()).isEqualTo("warning");
        });
    }

    @Test
    void of_one_hundred_concurrent_messages_exactly_one_is_accepted_and_the_rest_are_busy() throws Exception {
        java.util.List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> answers = new java.util.ArrayList<>();
        for (int i = 0; i < 100; i++) {
            answers.add(fixture.client.sendAsync(java.net.http.HttpRequest.newBuilder(
                            fixture.uri("/api/companion/messages"))
                    .header("Content-Type", "application/json")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"content\":\"message " + i + "\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString()));
        }
        java.util.Map<Integer, Long> byStatus = new java.util.TreeMap<>();
        for (var answer : answers) {
            HttpResponse<String> response = answer.get(60, java.util.concurrent.TimeUnit.SECONDS);
            byStatus.merge(response.statusCode(), 1L, Long::sum);
            fixture.responses.add(response);
        }

        assertThat(byStatus).containsExactly(java.util.Map.entry(202, 1L), java.util.Map.entry(409, 99L));
        fixture.model.awaitCall();
        assertThat(Fixture.json(fixture.get("/api/companion/transcript")).get("total_items").asLong()).isEqualTo(1);
        fixture.model.finish();
    }

    @Test
    void status_shows_the_running_turn_while_it_runs() throws Exception {
        TurnId turn = fixture.sendMessage("hold on");
        fixture.model.awaitCall();

        JsonNode status = Fixture.json(fixture.get("/api/companion/status"));

        assertThat(status.get("state").asText()).isEqualTo("busy");
        assertThat(status.get("running_turn_id").asText()).isEqualTo(turn.value());
        assertThat(status.at("/worker/status").asText()).isEqualTo("busy");
        fixture.model.finish();
        fixture.awaitTurn(turn);
    }

    @Test
    void workers_lists_the_companion_with_its_profile_and_exactly_its_two_capabilities() {
        HttpResponse<String> response = fixture.get("/api/workers");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = Fixture.json(response);
        assertThat(body.get("state").asText()).isEqualTo("ready");
        assertThat(body.get("diagnostics").size()).isZero();
        assertThat(body.get("workers").size()).isEqualTo(1);
        JsonNode worker = body.get("workers").get(0);
        assertThat(worker.get("id").asText()).isEqualTo("companion");
        assertThat(worker.get("label").asText()).isEqualTo("Companion");
        assertThat(worker.get("status").asText()).isEqualTo("ready");
        assertThat(worker.get("authority").asText()).isEqualTo("conversation_only");
        assertThat(worker.at("/profile/id").asText()).isEqualTo("companion");
        assertThat(worker.at("/profile/system_prompt").asText()).isEqualTo("system/companion");
        List<String> capabilities = new ArrayList<>();
        worker.get("capabilities").forEach(c -> capabilities.add(c.asText()));
        assertThat(capabilities).containsExactlyInAnyOrder("accept_input", "read_own_transcript");
    }

    @Test
    void a_message_is_accepted_with_its_turn_and_user_item_and_the_reply_lands_in_the_transcript() throws Exception {
        fixture.model.script("Hello", ", you.");
        Instant before = Instant.now();

        HttpResponse<String> response = fixture.postJson("/api/companion/messages", "{\"content\":\"Hi there\"}");

        assertThat(response.statusCode()).isEqualTo(202);
        JsonNode body = Fixture.json(response);
        assertThat(body.get("state").asText()).isEqualTo("accepted");
        String turn = body.get("turn_id").asText();
        JsonNode item = body.get("item");
        assertThat(item.get("role").asText()).isEqualTo("user");
        assertThat(item.get("content").asText()).isEqualTo("Hi there");
        assertThat(item.get("source").asText()).isEqualTo("http");
        assertThat(item.get("status").asText()).isEqualTo("accepted");
        assertThat(item.get("turn_id").asText()).isEqualTo(turn);
        assertThat(item.get("sequence").asLong()).isZero();
        assertThat(Instant.parse(item.get("created_at").asText())).isAfterOrEqualTo(before.minusSeconds(1));

        TurnOutcome outcome = fixture.awaitTurn(new TurnId(turn));
        assertThat(outcome).isInstanceOf(TurnOutcome.Completed.class);
        JsonNode page = Fixture.json(fixture.get("/api/companion/transcript"));
        assertThat(page.get("total_items").asLong()).isEqualTo(2);
        assertThat(page.at("/items/1/role").asText()).isEqualTo("assistant");
        assertThat(page.at("/items/1/content").asText()).isEqualTo("Hello, you.");
        assertThat(page.at("/items/1/status").asText()).isEqualTo("completed");
        assertThat(page.at("/items/1/source").asText()).isEqualTo("scripted");
    }

    @Test
    void a_message_of_exactly_8000_characters_counted_as_code_points_is_accepted() throws Exception {
        String emoji = "\uD83D\uDE00".repeat(8000);
        fixture.model.script("ok");

        HttpResponse<String> response = fixture.postJson("/api/companion/messages",
                Json.write(java.util.Map.of("content", emoji)));

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(Fixture.json(response).at("/item/content").asText()).isEqualTo(emoji);
        fixture.awaitTurn(new TurnId(Fixture.json(response).get("turn_id").asText()));
    }

    @Test
    void wait_true_answers_when_the_turn_has_ended_with_the_reply_and_its_outcome() {
        fixture.model.script("All ", "done.");

        HttpResponse<String> response = fixture.postJson("/api/companion/messages?wait=true", "{\"content\":\"Go\"}");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = Fixture.json(response);
        assertThat(body.get("state").asText()).isEqualTo("ready");
        assertThat(body.get("outcome").asText()).isEqualTo("completed");
        assertThat(body.at("/item/content").asText()).isEqualTo("Go");
        assertThat(body.at("/reply/content").asText()).isEqualTo("All done.");
        assertThat(body.at("/reply/status").asText()).isEqualTo("completed");
        assertThat(body.at("/reply/turn_id").asText()).isEqualTo(body.get("turn_id").asText());
    }

    @Test
    void wait_true_reports_a_cancel_that_ends_the_turn() throws Exception {
        CompletableFuture<HttpResponse<String>> waiting = CompletableFuture.supplyAsync(
                () -> fixture.postJson("/api/companion/messages?wait=true", "{\"content\":\"long one\"}"));
        fixture.model.awaitCall();
        fixture.emitAndAwait("partial ");

        HttpResponse<String> cancel = fixture.postJson("/api/companion/cancel", "{}");
        HttpResponse<String> response = waiting.get(30, TimeUnit.SECONDS);

        assertThat(cancel.statusCode()).isEqualTo(200);
        JsonNode body = Fixture.json(response);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(body.get("state").asText()).isEqualTo("cancelled");
        assertThat(body.get("outcome").asText()).isEqualTo("cancelled");
        assertThat(body.at("/reply/content").asText()).isEqualTo("partial ");
        assertThat(body.at("/reply/status").asText()).isEqualTo("cancelled");
    }

    @Test
    void wait_true_says_the_turn_is_not_finished_when_the_wait_limit_passes() throws Exception {
        fixture.close();
        fixture = Fixture.configured(builder -> builder.waitLimit(Duration.ofMillis(1)));

        HttpResponse<String> response = fixture.postJson("/api/companion/messages?wait=true", "{\"content\":\"slow\"}");

        assertThat(response.statusCode()).isEqualTo(202);
        JsonNode body = Fixture.json(response);
        assertThat(body.get("state").asText()).isEqualTo("accepted");
        assertThat(body.get("reply").isNull()).isTrue();
        assertThat(body.get("outcome").isNull()).isTrue();
        assertThat(body.at("/diagnostics/0/code").asText()).isEqualTo("turn_not_finished");
        fixture.model.finish();
        fixture.awaitTurn(new TurnId(body.get("turn_id").asText()));
    }

    @Test
    void a_message_during_a_running_turn_is_busy_409_and_changes_nothing() throws Exception {
        TurnId running = fixture.sendMessage("first");
        fixture.model.awaitCall();

        HttpResponse<String> response = fixture.postJson("/api/companion/messages", "{\"content\":\"second\"}");

        assertThat(response.statusCode()).isEqualTo(409);
        JsonNode body = Fixture.json(response);
        assertThat(body.get("state").asText()).isEqualTo("busy");
        assertThat(body.get("running_turn_id").asText()).isEqualTo(running.value());
        assertThat(body.at("/diagnostics/0/code").asText()).isEqualTo("companion_busy");
        assertThat(Fixture.json(fixture.get("/api/companion/transcript")).get("total_items").asLong()).isEqualTo(1);
        fixture.model.finish();
        fixture.awaitTurn(running);
    }

    @Test
    void cancel_stops_the_running_turn_and_keeps_the_partial_reply_marked_cancelled() throws Exception {
        TurnId turn = fixture.sendMessage("tell me a story");
        fixture.model.awaitCall();
        fixture.emitAndAwait("Once upon");

        HttpResponse<String> response = fixture.postJson("/api/companion/cancel", "{\"reason\":\"enough\"}");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = Fixture.json(response);
        assertThat(body.get("state").asText()).isEqualTo("cancelled");
        assertThat(body.get("turn_id").asText()).isEqualTo(turn.value());
        assertThat(body.get("outcome").asText()).isEqualTo("cancelled");
        assertThat(body.at("/reply/content").asText()).isEqualTo("Once upon");
        assertThat(body.at("/reply/status").asText()).isEqualTo("cancelled");
        assertThat(body.at("/diagnostics/0/code").asText()).isEqualTo("cancelled");
        JsonNode page = Fixture.json(fixture.get("/api/companion/transcript"));
        assertThat(page.at("/items/1/status").asText()).isEqualTo("cancelled");
        assertThat(page.at("/items/1/content").asText()).isEqualTo("Once upon");
    }

    @Test
    void cancel_twice_is_harmless_and_says_what_happened_each_time() throws Exception {
        TurnId turn = fixture.sendMessage("go");
        fixture.model.awaitCall();

        JsonNode first = Fixture.json(fixture.postJson("/api/companion/cancel", ""));
        JsonNode second = Fixture.json(fixture.postJson("/api/companion/cancel", ""));
        JsonNode named = Fixture.json(fixture.postJson("/api/companion/cancel",
                "{\"turn_id\":\"" + turn.value() + "\"}"));

        assertThat(first.get("state").asText()).isEqualTo("cancelled");
        assertThat(second.get("state").asText()).isEqualTo("ready");
        assertThat(second.get("turn_id").isNull()).isTrue();
        assertThat(second.get("reply").isNull()).isTrue();
        assertThat(second.at("/diagnostics/0/code").asText()).isEqualTo("not_running");
        assertThat(named.get("state").asText()).isEqualTo("ready");
        assertThat(named.get("turn_id").asText()).isEqualTo(turn.value());
        assertThat(named.get("outcome").asText()).isEqualTo("cancelled");
        assertThat(named.at("/diagnostics/0/code").asText()).isEqualTo("already_completed");
        assertThat(Fixture.json(fixture.get("/api/companion/transcript")).get("total_items").asLong()).isEqualTo(2);
    }

    @Test
    void cancel_with_nothing_running_says_not_running() {
        for (String body : new String[] {"", "{}", "{\"reason\":null}"}) {
            HttpResponse<String> response = body.isEmpty()
                    ? fixture.post("/api/companion/cancel", null, new byte[0])
                    : fixture.postJson("/api/companion/cancel", body);

            assertThat(response.statusCode()).as(body).isEqualTo(200);
            assertThat(Fixture.json(response).get("state").asText()).isEqualTo("ready");
            assertThat(Fixture.json(response).at("/diagnostics/0/code").asText()).isEqualTo("not_running");
        }
    }

    @Test
    void cancel_of_a_completed_turn_by_id_says_already_completed_with_its_outcome() throws Exception {
        TurnOutcome outcome = fixture.exchange("hi", "hello");

        JsonNode body = Fixture.json(fixture.postJson("/api/companion/cancel",
                "{\"turn_id\":\"" + outcome.turnId().value() + "\"}"));

        assertThat(body.get("state").asText()).isEqualTo("ready");
        assertThat(body.get("outcome").asText()).isEqualTo("completed");
        assertThat(body.at("/reply/content").asText()).isEqualTo("hello");
        assertThat(body.at("/diagnostics/0/code").asText()).isEqualTo("already_completed");
    }

    @Test
    void transcript_of_an_empty_conversation_is_an_empty_newest_page() {
        JsonNode page = Fixture.json(fixture.get("/api/companion/transcript"));

        assertThat(page.get("state").asText()).isEqualTo("ready");
        assertThat(page.get("start").asLong()).isZero();
        assertThat(page.get("limit").asInt()).isEqualTo(50);
        assertThat(page.get("total_items").asLong()).isZero();
        assertThat(page.get("next_start").isNull()).isTrue();
        assertThat(page.get("previous_start").isNull()).isTrue();
        assertThat(page.get("items").size()).isZero();
    }

    @Test
    void transcript_pages_at_the_edges() throws Exception {
        for (int i = 0; i < 3; i++) {
            fixture.exchange("question " + i, "answer " + i);
        }

        JsonNode newest = Fixture.json(fixture.get("/api/companion/transcript?limit=2"));
        assertThat(newest.get("start").asLong()).isEqualTo(4);
        assertThat(newest.get("total_items").asLong()).isEqualTo(6);
        assertThat(newest.at("/items/0/content").asText()).isEqualTo("question 2");
        assertThat(newest.get("next_start").isNull()).isTrue();
        assertThat(newest.get("previous_start").asLong()).isEqualTo(2);

        JsonNode middle = Fixture.json(fixture.get("/api/companion/transcript?start=1&limit=2"));
        assertThat(middle.at("/items/0/sequence").asLong()).isEqualTo(1);
        assertThat(middle.get("next_start").asLong()).isEqualTo(3);
        assertThat(middle.get("previous_start").asLong()).isZero();

        JsonNode pastEnd = Fixture.json(fixture.get("/api/companion/transcript?start=7"));
        assertThat(pastEnd.get("items").size()).isZero();
        assertThat(pastEnd.get("total_items").asLong()).isEqualTo(6);
        assertThat(pastEnd.at("/diagnostics/0/code").asText()).isEqualTo("start_past_end");

        JsonNode atEnd = Fixture.json(fixture.get("/api/companion/transcript?start=6"));
        assertThat(atEnd.get("items").size()).isZero();

        JsonNode countsOnly = Fixture.json(fixture.get("/api/companion/transcript?limit=0"));
        assertThat(countsOnly.get("items").size()).isZero();
        assertThat(countsOnly.get("limit").asInt()).isZero();
        assertThat(countsOnly.get("total_items").asLong()).isEqualTo(6);

        JsonNode clamped = Fixture.json(fixture.get("/api/companion/transcript?start=0&limit=201"));
        assertThat(clamped.get("limit").asInt()).isEqualTo(200);
        assertThat(clamped.get("items").size()).isEqualTo(6);
        assertThat(clamped.at("/diagnostics/0/code").asText()).isEqualTo("limit_clamped");

        JsonNode huge = Fixture.json(fixture.get("/api/companion/transcript?limit=99999999999"));
        assertThat(huge.get("limit").asInt()).isEqualTo(200);
    }

    @Test
    void transcript_refuses_anything_but_plain_digits_with_400_invalid_parameter() {
        String[] bad = {"start=-1", "start=abc", "start=1.5", "start=", "start=%201", "start=1e3", "start=+1",
                "start=0x10", "limit=-5", "limit=ten", "start=1&start=2", "start=99999999999999999999",
                "start=%EF%BC%91"};
        for (String query : bad) {
            HttpResponse<String> response = fixture.get("/api/companion/transcript?" + query);

            assertThat(response.statusCode()).as(query).isEqualTo(400);
            JsonNode body = Fixture.json(response);
            assertThat(body.get("state").asText()).as(query).isEqualTo("rejected");
            assertThat(body.at("/diagnostics/0/code").asText()).as(query).isEqualTo("invalid_parameter");
        }
    }
}
