package dev.companion.app.provider;

import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.adapter.llm.FakeProvider.Await;
import dev.companion.adapter.llm.FakeProvider.Cut;
import dev.companion.adapter.llm.FakeProvider.End;
import dev.companion.adapter.llm.FakeProvider.Response;
import dev.companion.adapter.llm.FakeProvider.Send;
import dev.companion.app.provider.AppClient.Answer;
import dev.companion.app.provider.AppClient.Event;
import dev.companion.app.provider.AppClient.Feed;
import dev.companion.app.provider.Stage.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.companion.adapter.llm.FakeProvider.fixture;
import static dev.companion.adapter.llm.FakeProvider.firstEvents;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Done means, for a failing provider: every failure reaches the API as its typed state — in the
 * {@code ?wait=true} answer, the {@code turn_*} event and the transcript's reply item — never as
 * the upstream's body, and the Companion is ready again and answers the next message.
 */
class ProviderFailureTest {

    /** The scripted answers for one message; {@code cut} opens once the app has streamed the deltas. */
    @FunctionalInterface
    interface Script {
        Response[] responses(String key, CountDownLatch cut);
    }

    /**
     * One failure and what it must become. {@code requests}: how many the provider sees (retries
     * included); {@code deltasBeforeCut}: how many pieces of text the app streams before the fake
     * may cut (0: no cut).
     */
    record Case(String name, Wire wire, Script script, String state, String code, String replyStatus,
                String replyText, int requests, int deltasBeforeCut) {
        @Override
        public String toString() {
            return wire.source() + ": " + name;
        }
    }

    private static final String NO_TEXT = "";

    static Stream<Case> failures() {
        Wire openAi = Wire.OPENAI;
        Wire anthropic = Wire.ANTHROPIC;
        byte[] openAiReply = Wire.OPENAI.reply();
        byte[] anthropicReply = Wire.ANTHROPIC.reply();
        return Stream.of(
                new Case("401 invalid key", openAi, (key, cut) -> new Response[] {
                        Response.status(401, fixture("openai/error-invalid-api-key.json", key))},
                        "error", "provider_auth_failed", "failed", NO_TEXT, 1, 0),
                new Case("404 unknown model", openAi, (key, cut) -> new Response[] {
                        Response.status(404, fixture("openai/error-model-not-found.json", key))},
                        "error", "provider_model_not_found", "failed", NO_TEXT, 1, 0),
                new Case("429 rate limit, Retry-After honoured for two retries", openAi, (key, cut) -> new Response[] {
                        rateLimited("openai/error-rate-limit.json", key, "0"),
                        rateLimited("openai/error-rate-limit.json", key, "0"),
                        rateLimited("openai/error-rate-limit.json", key, "0")},
                        "busy", "provider_rate_limited", "failed", NO_TEXT, 3, 0),
                new Case("429 with a Retry-After past the 60 s cap ends at once", openAi, (key, cut) -> new Response[] {
                        rateLimited("openai/error-rate-limit.json", key, "120")},
                        "busy", "provider_rate_limited", "failed", NO_TEXT, 1, 0),
                new Case("429 insufficient_quota, not retried", openAi, (key, cut) -> new Response[] {
                        Response.status(429, fixture("openai/error-insufficient-quota.json", key))},
                        "error", "provider_quota_exceeded", "failed", NO_TEXT, 1, 0),
                new Case("500 after two retries", openAi, (key, cut) -> new Response[] {
                        Response.status(500, fixture("openai/error-server.json", key)),
                        Response.status(500, fixture("openai/error-server.json", key)),
                        Response.status(500, fixture("openai/error-server.json", key))},
                        "error", "provider_unavailable", "failed", NO_TEXT, 3, 0),
                new Case("stream cut after three deltas", openAi, (key, cut) -> new Response[] {
                        Response.streaming(List.of(new Send(firstEvents(openAiReply, 4)), new Await(cut), new Cut()))},
                        "error", "provider_stream_interrupted", "incomplete", "Hello there, friend!", 1, 3),
                new Case("stream closed without [DONE]", openAi, (key, cut) -> new Response[] {
                        Response.stream(firstEvents(openAiReply, 3))},
                        "error", "provider_stream_interrupted", "incomplete", "Hello there", 1, 0),
                new Case("empty 200", openAi, (key, cut) -> new Response[] {Response.stream(new byte[0])},
                        "error", "provider_empty_response", "failed", NO_TEXT, 1, 0),

                new Case("401 invalid x-api-key", anthropic, (key, cut) -> new Response[] {
                        Response.status(401, fixture("anthropic/error-authentication.json", key))},
                        "error", "provider_auth_failed", "failed", NO_TEXT, 1, 0),
                new Case("404 unknown model", anthropic, (key, cut) -> new Response[] {
                        Response.status(404, fixture("anthropic/error-not-found.json", key))},
                        "error", "provider_model_not_found", "failed", NO_TEXT, 1, 0),
                new Case("429 rate limit, Retry-After honoured for two retries", anthropic, (key, cut) -> new Response[] {
                        rateLimited("anthropic/error-rate-limit.json", key, "0"),
                        rateLimited("anthropic/error-rate-limit.json", key, "0"),
                        rateLimited("anthropic/error-rate-limit.json", key, "0")},
                        "busy", "provider_rate_limited", "failed", NO_TEXT, 3, 0),
                new Case("429 spend limit, not retried", anthropic, (key, cut) -> new Response[] {
                        Response.status(429, fixture("anthropic/error-spend-limit.json", key))},
                        "error", "provider_quota_exceeded", "failed", NO_TEXT, 1, 0),
                new Case("529 overloaded after two retries", anthropic, (key, cut) -> new Response[] {
                        Response.status(529, fixture("anthropic/error-overloaded.json", key)),
                        Response.status(529, fixture("anthropic/error-overloaded.json", key)),
                        Response.status(529, fixture("anthropic/error-overloaded.json", key))},
                        "error", "provider_unavailable", "failed", NO_TEXT, 3, 0),
                new Case("in-stream overloaded error before any text, after two retries", anthropic,
                        (key, cut) -> new Response[] {
                                Response.stream(fixture("anthropic/messages-stream-error-before-text.sse", key)),
                                Response.stream(fixture("anthropic/messages-stream-error-before-text.sse", key)),
                                Response.stream(fixture("anthropic/messages-stream-error-before-text.sse", key))},
                        "error", "provider_unavailable", "failed", NO_TEXT, 3, 0),
                new Case("in-stream error after text", anthropic, (key, cut) -> new Response[] {
                        Response.stream(fixture("anthropic/messages-stream-error-after-text.sse", key))},
                        "error", "provider_stream_interrupted", "incomplete", "Hello there", 1, 0),
                new Case("stream cut after three deltas", anthropic, (key, cut) -> new Response[] {
                        Response.streaming(List.of(new Send(firstEvents(anthropicReply, 6)), new Await(cut), new Cut()))},
                        "error", "provider_stream_interrupted", "incomplete", "Hello there, friend!", 1, 3),
                new Case("stream closed without message_stop", anthropic, (key, cut) -> new Response[] {
                        Response.streaming(List.of(new Send(firstEvents(anthropicReply, 5)), new End()))},
                        "error", "provider_stream_interrupted", "incomplete", "Hello there", 1, 0),
                new Case("empty 200", anthropic, (key, cut) -> new Response[] {Response.stream(new byte[0])},
                        "error", "provider_empty_response", "failed", NO_TEXT, 1, 0));
    }

    private static Response rateLimited(String fixture, String key, String retryAfter) {
        return Response.status(429, fixture(fixture, key), "Retry-After", retryAfter);
    }

    private final String key = "sk-e2e-" + UUID.randomUUID();
    private Stage stage;

    @AfterEach
    void stop() {
        if (stage != null) {
            stage.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failures")
    void the_failure_shows_as_its_typed_state_and_the_companion_is_ready_again(Case failure) throws Exception {
        stage = Stage.start(failure.wire(), key);
        AppClient api = stage.api;
        Feed feed = api.follow();
        CountDownLatch cut = new CountDownLatch(1);
        stage.provider.then(failure.script().responses(key, cut));

        CompletableFuture<Answer> waiting = CompletableFuture.supplyAsync(() -> api.sendAndWait("hi"));
        if (failure.deltasBeforeCut() > 0) {
            feed.awaitAnyDeltas(failure.deltasBeforeCut());
            cut.countDown();
        }
        Answer answer = waiting.get(30, TimeUnit.SECONDS);

        // The ?wait=true answer.
        assertThat(answer.status()).isEqualTo(200);
        JsonNode finished = answer.json();
        assertThat(finished.path("state").asText()).isEqualTo(failure.state());
        assertThat(finished.path("outcome").asText()).isEqualTo("failed");
        assertThat(finished.path("diagnostics").findValuesAsText("code")).contains(failure.code());
        assertThat(finished.path("reply").path("status").asText()).isEqualTo(failure.replyStatus());
        assertThat(answer.body()).as("never the upstream's body").doesNotContain(key).doesNotContain("\"message\":\"Incorrect");
        String turn = finished.path("turn_id").asText();

        // The turn_* event.
        Event end = feed.awaitTurnEnd(turn);
        assertThat(end.type()).isEqualTo("turn_failed");
        assertThat(end.name()).isEqualTo("turn_failed");
        assertThat(end.data().path("state").asText()).isEqualTo(failure.state());
        assertThat(end.data().path("outcome").asText()).isEqualTo("failed");
        assertThat(end.data().path("diagnostics").findValuesAsText("code")).contains(failure.code());
        assertThat(end.data().path("reply").path("status").asText()).isEqualTo(failure.replyStatus());
        assertThat(String.join("", feed.deltas(turn))).isEqualTo(failure.replyText());

        // The transcript's reply item: the partial text kept, marked as what happened.
        JsonNode reply = api.lastItem("assistant");
        assertThat(reply.path("turn_id").asText()).isEqualTo(turn);
        assertThat(reply.path("status").asText()).isEqualTo(failure.replyStatus());
        assertThat(reply.path("source").asText()).isEqualTo(failure.wire().source());
        assertThat(reply.path("content").asText()).isEqualTo(failure.replyText());
        assertThat(stage.provider.received()).as("requests, retries included").hasSize(failure.requests());

        // Ready again, and the next message is answered.
        assertThat(api.status().json().path("state").asText()).isEqualTo("ready");
        Answer next = api.sendAndWait("still there?");
        assertThat(next.json().path("state").asText()).isEqualTo("ready");
        assertThat(next.json().path("outcome").asText()).isEqualTo("completed");
        assertThat(next.json().path("reply").path("content").asText()).isEqualTo("Hello there, friend!");
        assertThat(next.json().path("reply").path("status").asText()).isEqualTo("completed");
        assertThat(api.status().json().path("state").asText()).isEqualTo("ready");
    }
}
