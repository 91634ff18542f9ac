package dev.companion.app.provider;

import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.adapter.llm.FakeProvider;
import dev.companion.adapter.llm.FakeProvider.HoldUntilClientCloses;
import dev.companion.adapter.llm.FakeProvider.Response;
import dev.companion.adapter.llm.FakeProvider.Send;
import dev.companion.app.provider.AppClient.Answer;
import dev.companion.app.provider.AppClient.Event;
import dev.companion.app.provider.AppClient.Feed;
import dev.companion.app.provider.Stage.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A live reply is single-flight and stoppable: a second message is refused as busy, {@code POST
 * /api/companion/cancel} closes the provider's connection and keeps the text so far marked
 * cancelled, stopping the server closes it too, and a retried rate limit still ends in a reply.
 */
class LiveReplyControlTest {

    private final String key = "sk-e2e-" + UUID.randomUUID();
    private Stage stage;

    @AfterEach
    void stop() {
        if (stage != null) {
            stage.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void cancel_closes_the_upstream_stream_and_keeps_the_partial_reply(Wire wire) throws Exception {
        stage = Stage.start(wire, key);
        AppClient api = stage.api;
        Feed feed = api.follow();
        // The reply's first piece of text, then the provider holds the stream open.
        int firstText = wire == Wire.OPENAI ? 2 : 4;
        stage.provider.then(Response.streaming(List.of(
                new Send(FakeProvider.firstEvents(wire.reply(), firstText)), new HoldUntilClientCloses())));

        String turn = api.send("tell me a long story").json().path("turn_id").asText();
        feed.awaitDeltas(turn, 1);
        assertThat(api.status().json().path("state").asText()).isEqualTo("busy");
        for (Answer busy : List.of(api.send("and another"), api.sendAndWait("and another"))) {
            assertThat(busy.status()).as("a message during a live reply").isEqualTo(409);
            assertThat(busy.json().path("state").asText()).isEqualTo("busy");
            assertThat(busy.json().path("running_turn_id").asText()).isEqualTo(turn);
            assertThat(busy.json().path("diagnostics").findValuesAsText("code")).containsExactly("companion_busy");
        }

        Answer cancelled = api.cancel("changed my mind");
        assertThat(cancelled.status()).isEqualTo(200);
        assertThat(cancelled.json().path("state").asText()).isEqualTo("cancelled");
        assertThat(cancelled.json().path("outcome").asText()).isEqualTo("cancelled");
        assertThat(cancelled.json().path("turn_id").asText()).isEqualTo(turn);
        assertThat(cancelled.json().path("reply").path("content").asText()).isEqualTo("Hello");
        assertThat(stage.provider.clientClosed().await(10, TimeUnit.SECONDS))
                .as("the provider's connection was closed").isTrue();

        Event end = feed.awaitTurnEnd(turn);
        assertThat(end.type()).isEqualTo("turn_cancelled");
        assertThat(end.data().path("state").asText()).isEqualTo("cancelled");
        JsonNode reply = api.lastItem("assistant");
        assertThat(reply.path("status").asText()).isEqualTo("cancelled");
        assertThat(reply.path("content").asText()).isEqualTo("Hello");
        assertThat(reply.path("source").asText()).isEqualTo(wire.source());

        assertThat(api.status().json().path("state").asText()).isEqualTo("ready");
        Answer next = api.sendAndWait("a short one, then");
        assertThat(next.json().path("outcome").asText()).isEqualTo("completed");
        assertThat(next.json().path("reply").path("content").asText()).isEqualTo("Hello there, friend!");
        assertThat(api.transcript().json().path("total_items").asInt())
                .as("the refused messages changed nothing").isEqualTo(4);
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void stopping_the_server_mid_reply_closes_the_providers_connection(Wire wire) throws Exception {
        stage = Stage.start(wire, key);
        Feed feed = stage.api.follow();
        int firstText = wire == Wire.OPENAI ? 2 : 4;
        stage.provider.then(Response.streaming(List.of(
                new Send(FakeProvider.firstEvents(wire.reply(), firstText)), new HoldUntilClientCloses())));
        String turn = stage.api.send("tell me a long story").json().path("turn_id").asText();
        feed.awaitDeltas(turn, 1);

        stage.server.close();

        assertThat(stage.provider.clientClosed().await(10, TimeUnit.SECONDS))
                .as("no provider connection outlives the server").isTrue();
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void a_rate_limit_before_any_text_is_retried_and_the_reply_completes(Wire wire) {
        stage = Stage.start(wire, key);
        String rate = wire == Wire.OPENAI ? "openai/error-rate-limit.json" : "anthropic/error-rate-limit.json";
        stage.provider.then(Response.status(429, FakeProvider.fixture(rate, key), "Retry-After", "0"));

        Answer answer = stage.api.sendAndWait("hi");

        assertThat(answer.json().path("outcome").asText()).isEqualTo("completed");
        assertThat(answer.json().path("reply").path("content").asText()).isEqualTo("Hello there, friend!");
        assertThat(stage.provider.received()).as("the 429, then the retry").hasSize(2);
    }
}
