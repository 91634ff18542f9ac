package dev.companion.adapter.llm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.Role;
import dev.companion.core.port.CancellationSignal;
import dev.companion.core.port.ChatMessage;
import dev.companion.core.port.LanguageModelException;
import dev.companion.core.port.ModelRequest;
import dev.companion.core.port.ModelResult.Ending;
import dev.companion.core.port.TextSink;
import dev.companion.core.model.TokenUsage;
import dev.companion.adapter.llm.FakeProvider.Await;
import dev.companion.adapter.llm.FakeProvider.Cut;
import dev.companion.adapter.llm.FakeProvider.End;
import dev.companion.adapter.llm.FakeProvider.HoldUntilClientCloses;
import dev.companion.adapter.llm.FakeProvider.Pause;
import dev.companion.adapter.llm.FakeProvider.Response;
import dev.companion.adapter.llm.FakeProvider.Send;
import dev.companion.adapter.llm.FakeProvider.Step;
import dev.companion.adapter.llm.LanguageModels.ApiKey;
import dev.companion.adapter.llm.LanguageModels.ProviderSettings;
import dev.companion.adapter.llm.LanguageModels.Timeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class OpenAiCompatibleLanguageModelTest {

    private static final String STREAM = "openai/chat-stream.sse";

    private final FakeProvider fake = new FakeProvider();
    private final RecordingSleeper sleeper = new RecordingSleeper();

    @AfterEach
    void stop() throws IOException {
        fake.close();
    }

    private OpenAiCompatibleLanguageModel model(Optional<ApiKey> key, Timeouts timeouts) {
        ProviderSettings settings = ProviderSettings.openAi(fake.baseUrl("/v1"), "gpt-4o-mini", key).withTimeouts(timeouts);
        return new OpenAiCompatibleLanguageModel(settings, sleeper, Clock.systemUTC());
    }

    private OpenAiCompatibleLanguageModel model() {
        return model(Optional.of(ApiKey.of("sk-test-key")), Calls.generous());
    }

    @Test
    void streams_the_reply_with_stop_reason_and_usage() {
        fake.then(Response.stream(FakeProvider.fixture(STREAM)));

        Calls.Outcome outcome = Calls.call(model());

        assertThat(outcome.deltas()).containsExactly("Hello", " there", ", friend!");
        assertThat(outcome.result().stopReason()).contains("stop");
        assertThat(outcome.result().usage()).contains(new TokenUsage(31, 4));
        assertThat(outcome.result().diagnostics()).isEmpty();
    }

    @Test
    void sends_the_system_prompt_and_history_as_messages_with_stream_and_usage_on() throws Exception {
        fake.then(Response.stream(FakeProvider.fixture(STREAM)));

        Calls.call(model());

        FakeProvider.Received received = fake.received().get(0);
        assertThat(received.method()).isEqualTo("POST");
        assertThat(received.path()).isEqualTo("/v1/chat/completions");
        assertThat(received.headers()).containsEntry("authorization", "Bearer sk-test-key");
        JsonNode body = Json.MAPPER.readTree(received.body());
        assertThat(body.path("model").asText()).isEqualTo("gpt-4o-mini");
        assertThat(body.path("stream").asBoolean()).isTrue();
        assertThat(body.path("stream_options").path("include_usage").asBoolean()).isTrue();
        List<String> roles = new ArrayList<>();
        List<String> contents = new ArrayList<>();
        body.path("messages").forEach(m -> {
            roles.add(m.path("role").asText());
            contents.add(m.path("content").asText());
        });
        assertThat(roles).containsExactly("system", "user", "assistant", "user");
        assertThat(contents).containsExactly(Calls.SYSTEM_PROMPT, "Hello", "Hi! How can I help?", "Tell me something nice.");
    }

    @Test
    void two_user_messages_side_by_side_are_sent_as_one_so_roles_alternate() throws Exception {
        fake.then(Response.stream(FakeProvider.fixture(STREAM)));
        ModelRequest request = new ModelRequest(Calls.SYSTEM_PROMPT, List.of(
                new ChatMessage(Role.USER, "first try"), new ChatMessage(Role.USER, "second try")));

        Calls.call(model(), request, new CancellationSignal());

        JsonNode messages = Json.MAPPER.readTree(fake.received().get(0).body()).path("messages");
        assertThat(messages).hasSize(2);
        assertThat(messages.get(1).path("role").asText()).isEqualTo("user");
        assertThat(messages.get(1).path("content").asText()).isEqualTo("first try\n\nsecond try");
    }

    @Test
    void a_local_server_needs_no_key_and_gets_no_authorization_header() {
        fake.then(Response.stream(FakeProvider.fixture(STREAM)));

        Calls.Outcome outcome = Calls.call(model(Optional.empty(), Calls.generous()));

        assertThat(outcome.text()).isEqualTo("Hello there, friend!");
        assertThat(fake.received().get(0).headers()).doesNotContainKey("authorization");
    }

    @Test
    void reads_crlf_keep_alive_comments_and_multi_line_data() {
        fake.then(Response.stream(FakeProvider.fixture("openai/chat-stream-crlf-keepalive-multiline.sse")));

        Calls.Outcome outcome = Calls.call(model());

        assertThat(outcome.text()).isEqualTo("Hello there, fri\u00e9nd!");
        assertThat(outcome.result().stopReason()).contains("stop");
        assertThat(outcome.result().usage()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(ints = {401, 403})
    void a_refused_key_is_auth_failed_and_not_retried(int status) {
        fake.then(Response.status(status, FakeProvider.fixture("openai/error-invalid-api-key.json")));

        LanguageModelException failure = Calls.call(model()).failed();

        assertThat(failure.state()).isEqualTo(CompanionState.ERROR);
        assertThat(failure.diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_AUTH_FAILED);
        assertThat(failure.getMessage()).contains("HTTP " + status).contains("req_fake_" + status)
                .doesNotContain("Incorrect API key");
        assertThat(fake.received()).hasSize(1);
    }

    @Test
    void an_unknown_model_is_model_not_found() {
        fake.then(Response.status(404, FakeProvider.fixture("openai/error-model-not-found.json")));

        LanguageModelException failure = Calls.call(model()).failed();

        assertThat(failure.diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_MODEL_NOT_FOUND);
        assertThat(failure.retriable()).isFalse();
        assertThat(fake.received()).hasSize(1);
    }

    @Test
    void a_rate_limit_is_retried_twice_honouring_retry_after_then_ends_busy_with_the_hint() {
        fake.then(Response.status(429, FakeProvider.fixture("openai/error-rate-limit.json"), "Retry-After", "1"));

        LanguageModelException failure = Calls.call(model()).failed();

        assertThat(failure.state()).isEqualTo(CompanionState.BUSY);
        assertThat(failure.diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_RATE_LIMITED);
        assertThat(failure.retryAfter()).contains(Duration.ofSeconds(1));
        assertThat(fake.received()).hasSize(3);
        assertThat(sleeper.waits).hasSize(2).allSatisfy(wait ->
                assertThat(wait).isBetween(Duration.ofSeconds(1), Duration.ofMillis(1100)));
    }

    @Test
    void a_retry_after_past_the_cap_ends_the_turn_at_once() {
        fake.then(Response.status(429, FakeProvider.fixture("openai/error-rate-limit.json"), "Retry-After", "120"));

        LanguageModelException failure = Calls.call(model()).failed();

        assertThat(failure.state()).isEqualTo(CompanionState.BUSY);
        assertThat(failure.retryAfter()).contains(Duration.ofSeconds(120));
        assertThat(fake.received()).hasSize(1);
        assertThat(sleeper.waits).isEmpty();
    }

    @Test
    void a_rate_limit_followed_by_a_reply_succeeds_after_one_retry() {
        fake.then(Response.status(429, FakeProvider.fixture("openai/error-rate-limit.json")),
                Response.stream(FakeProvider.fixture(STREAM)));

        Calls.Outcome outcome = Calls.call(model());

        assertThat(outcome.text()).isEqualTo("Hello there, friend!");
        assertThat(fake.received()).hasSize(2);
        assertThat(sleeper.waits).hasSize(1);
    }

    @Test
    void an_exhausted_quota_is_an_error_and_not_retried() {
        fake.then(Response.status(429, FakeProvider.fixture("openai/error-insufficient-quota.json"), "Retry-After", "1"));

        LanguageModelException failure = Calls.call(model()).failed();

        assertThat(failure.state()).isEqualTo(CompanionState.ERROR);
        assertThat(failure.diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_QUOTA_EXCEEDED);
        assertThat(failure.retriable()).isFalse();
        assertThat(fake.received()).hasSize(1);
    }

    @ParameterizedTest
    @ValueSource(ints = {500, 502, 503})
    void a_server_failure_is_unavailable_after_two_retries(int status) {
        fake.then(Response.status(status, FakeProvider.fixture("openai/error-server.json")));

        LanguageModelException failure = Calls.call(model()).failed();

        assertThat(failure.state()).isEqualTo(CompanionState.ERROR);
        assertThat(failure.diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_UNAVAILABLE);
        assertThat(fake.received()).hasSize(3);
        assertThat(sleeper.waits).hasSize(2);
    }

    @Test
    void a_stream_cut_after_three_deltas_is_interrupted_keeps_the_text_and_is_not_retried() {
        List<byte[]> events = FakeProvider.events(FakeProvider.fixture(STREAM));
        List<Step> steps = new ArrayList<>();
        events.subList(0, 4).forEach(e -> steps.add(new Send(e)));
        CountDownLatch thirdDelta = new CountDownLatch(3);
        steps.add(new Await(thirdDelta));
        steps.add(new Cut());
        fake.then(Response.streaming(steps));
        List<String> deltas = new java.util.concurrent.CopyOnWriteArrayList<>();

        Calls.Outcome outcome = Calls.call(model(), Calls.request(), new CancellationSignal(), d -> {
            deltas.add(d);
            thirdDelta.countDown();
        });

        assertThat(outcome.deltas()).containsExactly("Hello", " there", ", friend!");
        LanguageModelException failure = outcome.failed();
        assertThat(failure.state()).isEqualTo(CompanionState.ERROR);
        assertThat(failure.diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_STREAM_INTERRUPTED);
        assertThat(fake.received()).hasSize(1);
    }

    @Test
    void a_stream_that_ends_cleanly_after_its_finish_reason_without_done_is_a_whole_reply() {
        List<byte[]> events = FakeProvider.events(FakeProvider.fixture(STREAM));
        List<Step> steps = new ArrayList<>();
        events.subList(0, events.size() - 1).forEach(e -> steps.add(new Send(e)));
        steps.add(new End());
        fake.then(Response.streaming(steps));

        Calls.Outcome outcome = Calls.call(model());

        assertThat(outcome.text()).isEqualTo("Hello there, friend!");
        assertThat(outcome.result().ending()).isEqualTo(Ending.COMPLETED);
        assertThat(outcome.result().stopReason()).contains("stop");
        assertThat(outcome.result().usage()).contains(new TokenUsage(31, 4));
        assertThat(outcome.result().diagnostics()).isEmpty();
        assertThat(fake.received()).hasSize(1);
    }

    @Test
    void a_stream_closed_after_text_but_before_any_finish_reason_is_interrupted() {
        List<byte[]> events = FakeProvider.events(FakeProvider.fixture(STREAM));
        List<Step> steps = new ArrayList<>();
        events.subList(0, 4).forEach(e -> steps.add(new Send(e)));
        steps.add(new End());
        fake.then(Response.streaming(steps));

        Calls.Outcome outcome = Calls.call(model());

        assertThat(outcome.text()).isEqualTo("Hello there, friend!");
        assertThat(outcome.failed().diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_STREAM_INTERRUPTED);
        assertThat(outcome.failed().retriable()).isFalse();
        assertThat(fake.received()).hasSize(1);
    }

    @Test
    void an_empty_200_is_an_error_not_an_empty_reply() {
        fake.then(Response.streaming(List.of(new End())));

        LanguageModelException failure = Calls.call(model()).failed();

        assertThat(failure.state()).isEqualTo(CompanionState.ERROR);
        assertThat(failure.diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_EMPTY_RESPONSE);
    }

    @Test
    void a_done_without_any_text_is_an_empty_response() {
        fake.then(Response.stream("data: [DONE]\n\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));

        assertThat(Calls.call(model()).failed().diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_EMPTY_RESPONSE);
    }

    @Test
    void an_event_that_is_not_json_is_malformed() {
        fake.then(Response.stream("data: <html>oops</html>\n\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));

        assertThat(Calls.call(model()).failed().diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_MALFORMED_RESPONSE);
    }

    @Test
    void headers_then_silence_is_a_first_token_timeout() {
        fake.then(Response.streaming(List.of(new HoldUntilClientCloses())));
        Timeouts timeouts = new Timeouts(Duration.ofSeconds(10), Duration.ofMillis(300), Duration.ofSeconds(30), Duration.ofSeconds(60));

        LanguageModelException failure = Calls.call(model(Optional.empty(), timeouts)).failed();

        assertThat(failure.state()).isEqualTo(CompanionState.TIMEOUT);
        assertThat(failure.diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_FIRST_TOKEN_TIMEOUT);
    }

    @Test
    void silence_after_some_text_is_an_idle_timeout_and_the_text_was_delivered() {
        List<byte[]> events = FakeProvider.events(FakeProvider.fixture(STREAM));
        fake.then(Response.streaming(List.of(new Send(events.get(0)), new Send(events.get(1)), new HoldUntilClientCloses())));
        Timeouts timeouts = new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMillis(300), Duration.ofSeconds(60));

        Calls.Outcome outcome = Calls.call(model(Optional.empty(), timeouts));

        assertThat(outcome.deltas()).containsExactly("Hello");
        assertThat(outcome.failed().state()).isEqualTo(CompanionState.TIMEOUT);
        assertThat(outcome.failed().diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_IDLE_TIMEOUT);
    }

    @Test
    void a_slow_trickle_that_never_ends_hits_the_total_timeout() {
        byte[] delta = FakeProvider.events(FakeProvider.fixture(STREAM)).get(1);
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            steps.add(new Send(delta));
            steps.add(new Pause(50));
        }
        steps.add(new End());
        fake.then(Response.streaming(steps));
        Timeouts timeouts = new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofMillis(600));

        Calls.Outcome outcome = Calls.call(model(Optional.empty(), timeouts));

        assertThat(outcome.failed().state()).isEqualTo(CompanionState.TIMEOUT);
        assertThat(outcome.failed().diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_TOTAL_TIMEOUT);
    }

    @Test
    void cancel_closes_the_upstream_connection_and_no_later_delta_reaches_the_sink() throws Exception {
        List<byte[]> events = FakeProvider.events(FakeProvider.fixture(STREAM));
        fake.then(Response.streaming(List.of(new Send(events.get(0)), new Send(events.get(1)), new HoldUntilClientCloses())));
        CancellationSignal cancellation = new CancellationSignal();
        List<String> deltas = new java.util.concurrent.CopyOnWriteArrayList<>();
        CountDownLatch firstDelta = new CountDownLatch(1);
        OpenAiCompatibleLanguageModel model = model();
        Thread caller = new Thread(() -> model.stream(Calls.request(), d -> {
            deltas.add(d);
            firstDelta.countDown();
        }, cancellation));
        caller.start();

        assertThat(firstDelta.await(10, TimeUnit.SECONDS)).isTrue();
        cancellation.cancel();

        assertThat(fake.clientClosed().await(10, TimeUnit.SECONDS)).as("upstream connection closed").isTrue();
        caller.join(TimeUnit.SECONDS.toMillis(10));
        assertThat(caller.isAlive()).isFalse();
        assertThat(deltas).containsExactly("Hello");
    }

    @Test
    void a_cancelled_call_returns_a_cancelled_result() {
        List<byte[]> events = FakeProvider.events(FakeProvider.fixture(STREAM));
        fake.then(Response.streaming(List.of(new Send(events.get(0)), new Send(events.get(1)), new HoldUntilClientCloses())));
        CancellationSignal cancellation = new CancellationSignal();

        List<String> deltas = new java.util.concurrent.CopyOnWriteArrayList<>();
        var result = model().stream(Calls.request(), d -> {
            deltas.add(d);
            cancellation.cancel();
        }, cancellation);

        assertThat(result.stopReason()).contains("cancelled");
        assertThat(deltas).containsExactly("Hello");
    }

    @Test
    void an_unreachable_server_is_unavailable() throws IOException {
        URI closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/v1");
        }
        ProviderSettings settings = ProviderSettings.openAi(closed, "m", Optional.empty()).withTimeouts(Calls.generous());

        LanguageModelException failure = Calls.call(new OpenAiCompatibleLanguageModel(settings, sleeper, Clock.systemUTC())).failed();

        assertThat(failure.diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_UNAVAILABLE);
        assertThat(failure.getMessage()).doesNotContain(String.valueOf(closed.getPort()));
        assertThat(sleeper.waits).hasSize(2);
    }

    @Test
    void a_connection_that_is_never_accepted_is_a_connect_timeout() throws IOException {
        // A listening socket whose accept queue is full: the kernel drops further SYNs, so connect hangs.
        try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<Socket> fillers = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    Socket filler = new Socket();
                    try {
                        filler.connect(full.getLocalSocketAddress(), 200);
                        fillers.add(filler);
                    } catch (IOException e) {
                        filler.close();
                        break;
                    }
                }
                URI base = URI.create("http://127.0.0.1:" + full.getLocalPort() + "/v1");
                Timeouts timeouts = new Timeouts(Duration.ofMillis(300), Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(60));
                ProviderSettings settings = ProviderSettings.openAi(base, "m", Optional.empty()).withTimeouts(timeouts);

                LanguageModelException failure = Calls.call(new OpenAiCompatibleLanguageModel(settings, sleeper, Clock.systemUTC())).failed();

                assertThat(failure.state()).isEqualTo(CompanionState.TIMEOUT);
                assertThat(failure.diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_CONNECT_TIMEOUT);
            } finally {
                for (Socket filler : fillers) {
                    filler.close();
                }
            }
        }
    }

    @Test
    void history_over_the_budget_drops_the_oldest_turns_keeps_the_system_prompt_and_says_so() throws Exception {
        fake.then(Response.stream(FakeProvider.fixture(STREAM)));
        ProviderSettings settings = ProviderSettings.openAi(fake.baseUrl("/v1"), "gpt-4o-mini", Optional.empty())
                .withTimeouts(Calls.generous()).withHistoryBudgetChars(40);
        ModelRequest request = new ModelRequest(Calls.SYSTEM_PROMPT, List.of(
                new ChatMessage(Role.USER, "a very old question that is long"),
                new ChatMessage(Role.ASSISTANT, "a very old answer that is long"),
                new ChatMessage(Role.USER, "recent question"),
                new ChatMessage(Role.ASSISTANT, "recent answer"),
                new ChatMessage(Role.USER, "now?")));

        Calls.Outcome outcome = Calls.call(new OpenAiCompatibleLanguageModel(settings, sleeper, Clock.systemUTC()),
                request, new CancellationSignal());

        assertThat(outcome.result().diagnostics()).singleElement().satisfies(d ->
                assertThat(d.code()).isEqualTo(DiagnosticCode.HISTORY_TRUNCATED));
        JsonNode messages = Json.MAPPER.readTree(fake.received().get(0).body()).path("messages");
        List<String> contents = new ArrayList<>();
        messages.forEach(m -> contents.add(m.path("content").asText()));
        assertThat(contents).containsExactly(Calls.SYSTEM_PROMPT, "recent question", "recent answer", "now?");
    }

    // --- reasoning -----------------------------------------------------------------------------

    @Test
    void reasoning_reaches_the_sink_apart_and_never_as_reply_text() {
        fake.then(FakeProvider.recorded("deepseek/chat-stream-reasoning-content.sse"));

        Calls.Outcome outcome = Calls.call(model());

        assertThat(outcome.reasoning()).containsExactly("Okay, the user", " wants something nice.", " Keep it short.");
        assertThat(outcome.deltas()).containsExactly("You make", " the world kinder.");
    }

    @Test
    void a_model_that_reasons_longer_than_the_first_token_limit_is_not_cut_off() {
        List<byte[]> events = FakeProvider.events(FakeProvider.fixture("ollama/chat-stream-reasoning.sse"));
        List<Step> steps = new ArrayList<>();
        for (byte[] event : events) {
            steps.add(new Send(event));
            steps.add(new Pause(120));
        }
        steps.add(new End());
        fake.then(Response.streaming(steps));
        // Reasoning for three events (360 ms and more) before the first text, against a 250 ms first-token limit.
        Timeouts timeouts = new Timeouts(Duration.ofSeconds(10), Duration.ofMillis(250), Duration.ofSeconds(5), Duration.ofSeconds(30));

        Calls.Outcome outcome = Calls.call(model(Optional.empty(), timeouts));

        assertThat(outcome.failure()).isNull();
        assertThat(outcome.text()).isEqualTo("Small steps still move you forward.");
        assertThat(outcome.reasoningText()).isEqualTo("Okay, be kind and brief.");
    }

    @Test
    void a_provider_that_sends_only_comments_still_hits_the_first_token_limit_and_says_so() {
        byte[] comment = ": OPENROUTER PROCESSING\n\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            steps.add(new Send(comment));
            steps.add(new Pause(50));
        }
        steps.add(new End());
        fake.then(Response.streaming(steps));
        Timeouts timeouts = new Timeouts(Duration.ofSeconds(10), Duration.ofMillis(300), Duration.ofSeconds(30), Duration.ofSeconds(60));

        LanguageModelException failure = Calls.call(model(Optional.empty(), timeouts)).failed();

        assertThat(failure.diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_FIRST_TOKEN_TIMEOUT);
        assertThat(failure.getMessage()).contains("neither reply text nor reasoning");
    }

    @Test
    void a_reply_of_reasoning_alone_is_an_empty_response_that_says_so() {
        String sse = "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"hmm\"}}]}\n\n"
                + "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
        fake.then(Response.stream(sse.getBytes(java.nio.charset.StandardCharsets.UTF_8)));

        Calls.Outcome outcome = Calls.call(model());

        assertThat(outcome.reasoning()).containsExactly("hmm");
        assertThat(outcome.failed().diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_EMPTY_RESPONSE);
        assertThat(outcome.failed().getMessage()).contains("reasoning but no reply text");
    }

    @Test
    void a_stream_that_breaks_after_reasoning_is_not_retried_so_the_reasoning_is_not_repeated() {
        List<byte[]> events = FakeProvider.events(FakeProvider.fixture("vllm/chat-stream-reasoning.sse"));
        CountDownLatch reasoned = new CountDownLatch(1);
        fake.then(Response.streaming(List.of(new Send(events.get(0)), new Send(events.get(1)), new Await(reasoned), new Cut())));

        Calls.Outcome outcome = Calls.call(model(), Calls.request(), new CancellationSignal(), new TextSink() {
            @Override
            public void accept(String delta) {
            }

            @Override
            public void reasoning(String delta) {
                reasoned.countDown();
            }
        });

        assertThat(outcome.reasoning()).containsExactly("The user");
        assertThat(outcome.failed().diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_STREAM_INTERRUPTED);
        assertThat(fake.received()).hasSize(1);
    }

    @Test
    void reasoning_is_never_sent_back_even_from_replies_stored_with_a_think_block() throws Exception {
        fake.then(Response.stream(FakeProvider.fixture(STREAM)));
        ModelRequest request = new ModelRequest(Calls.SYSTEM_PROMPT, List.of(
                new ChatMessage(Role.USER, "Hello"),
                new ChatMessage(Role.ASSISTANT, "<think>\nthey said hello</think>\n\nHi! How can I help?"),
                new ChatMessage(Role.USER, "Again?"),
                new ChatMessage(Role.ASSISTANT, "<think>only thinking, no answer</think>"),
                new ChatMessage(Role.USER, "Tell me something nice.")));

        Calls.call(model(), request, new CancellationSignal());

        JsonNode messages = Json.MAPPER.readTree(fake.received().get(0).body()).path("messages");
        List<String> sent = new ArrayList<>();
        messages.forEach(m -> sent.add(m.path("role").asText() + ":" + m.path("content").asText()));
        assertThat(sent).containsExactly("system:" + Calls.SYSTEM_PROMPT, "user:Hello", "assistant:Hi! How can I help?",
                "user:Again?\n\nTell me something nice.");
    }

    // --- what the request carries ---------------------------------------------------------------

    @Test
    void a_server_that_refuses_stream_options_is_asked_again_at_once_without_them_and_never_with_them_again()
            throws Exception {
        fake.then(FakeProvider.recorded("azure/foundry-stream-options-rejected.http"),
                FakeProvider.recorded("azure/foundry-chat-stream.sse"),
                FakeProvider.recorded("azure/foundry-chat-stream.sse"));
        OpenAiCompatibleLanguageModel model = model();

        Calls.Outcome first = Calls.call(model);
        Calls.Outcome second = Calls.call(model);

        assertThat(first.text()).isEqualTo("Hello there, friend!");
        assertThat(second.text()).isEqualTo("Hello there, friend!");
        assertThat(first.result().usage()).isEmpty();
        assertThat(sleeper.waits).as("no backoff for a fallback").isEmpty();
        List<Boolean> sentStreamOptions = new ArrayList<>();
        for (FakeProvider.Received received : fake.received()) {
            sentStreamOptions.add(Json.MAPPER.readTree(received.body()).has("stream_options"));
        }
        assertThat(sentStreamOptions).containsExactly(true, false, false);
    }

    @Test
    void a_400_that_does_not_name_stream_options_is_final_and_they_are_still_sent_next_time() throws Exception {
        fake.then(FakeProvider.recorded("vllm/error-context-too-long.http"), Response.stream(FakeProvider.fixture(STREAM)));
        OpenAiCompatibleLanguageModel model = model();

        LanguageModelException failure = Calls.call(model).failed();
        Calls.call(model);

        assertThat(failure.diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_CONTEXT_TOO_LONG);
        assertThat(failure.retriable()).isFalse();
        assertThat(fake.received()).hasSize(2);
        assertThat(Json.MAPPER.readTree(fake.received().get(1).body()).has("stream_options")).isTrue();
    }

    @Test
    void no_output_limit_is_sent_unless_one_is_set_and_then_as_max_tokens_to_a_compatible_server() throws Exception {
        fake.then(Response.stream(FakeProvider.fixture(STREAM)), Response.stream(FakeProvider.fixture(STREAM)));
        ProviderSettings limited = ProviderSettings.openAi(fake.baseUrl("/v1"), "llama3.2", Optional.empty())
                .withTimeouts(Calls.generous()).withMaxOutputTokens(300);

        Calls.call(model());
        Calls.call(new OpenAiCompatibleLanguageModel(limited, sleeper, Clock.systemUTC()));

        JsonNode unset = Json.MAPPER.readTree(fake.received().get(0).body());
        JsonNode set = Json.MAPPER.readTree(fake.received().get(1).body());
        assertThat(unset.has("max_tokens")).isFalse();
        assertThat(unset.has("max_completion_tokens")).isFalse();
        assertThat(set.path("max_tokens").asInt()).isEqualTo(300);
        assertThat(set.has("max_completion_tokens")).isFalse();
    }

    @ParameterizedTest
    @CsvSource({"https://api.openai.com/v1, max_completion_tokens",
            "https://my-resource.openai.azure.com/openai/deployments/gpt-4o, max_completion_tokens",
            "http://127.0.0.1:11434/v1, max_tokens", "https://openrouter.ai/api/v1, max_tokens"})
    void openai_s_own_hosts_get_the_limit_under_its_current_name(String baseUrl, String field) {
        ProviderSettings settings = ProviderSettings.openAi(URI.create(baseUrl), "m", Optional.empty()).withMaxOutputTokens(5);

        assertThat(OpenAiCompatibleLanguageModel.outputLimitField(settings.baseUrl())).isEqualTo(field);
    }

    // --- endings ---------------------------------------------------------------------------------

    @Test
    void a_reply_cut_at_the_token_limit_is_returned_with_its_text_and_a_warning() {
        fake.then(FakeProvider.recorded("openai/chat-stream-length.sse"));

        Calls.Outcome outcome = Calls.call(model());

        assertThat(outcome.text()).isEqualTo("Here are three nice things: the sun is warm, the");
        assertThat(outcome.result().ending()).isEqualTo(Ending.TRUNCATED);
        assertThat(outcome.result().stopReason()).contains("length");
        assertThat(outcome.result().endingDiagnostic()).hasValueSatisfying(d -> {
            assertThat(d.code()).isEqualTo(DiagnosticCode.PROVIDER_REPLY_TRUNCATED);
            assertThat(d.severity()).isEqualTo(dev.companion.core.model.Severity.WARNING);
        });
    }

    @Test
    void an_error_object_after_text_marks_the_reply_incomplete_instead_of_complete() {
        fake.then(FakeProvider.recorded("vllm/chat-stream-error-object-after-text.sse"));

        Calls.Outcome outcome = Calls.call(model());

        assertThat(outcome.text()).isEqualTo("Hello there");
        assertThat(outcome.failed().diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_STREAM_INTERRUPTED);
    }
}
