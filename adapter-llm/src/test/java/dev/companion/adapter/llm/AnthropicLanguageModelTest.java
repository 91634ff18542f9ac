package dev.companion.adapter.llm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.port.CancellationSignal;
import dev.companion.core.port.LanguageModelException;
import dev.companion.core.port.TokenUsage;
import dev.companion.adapter.llm.FakeProvider.Await;
import dev.companion.adapter.llm.FakeProvider.Cut;
import dev.companion.adapter.llm.FakeProvider.Response;
import dev.companion.adapter.llm.FakeProvider.Send;
import dev.companion.adapter.llm.FakeProvider.Step;
import dev.companion.adapter.llm.LanguageModels.ApiKey;
import dev.companion.adapter.llm.LanguageModels.ProviderSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;

class AnthropicLanguageModelTest {

    private static final String STREAM = "anthropic/messages-stream.sse";

    private final FakeProvider fake = new FakeProvider();
    private final RecordingSleeper sleeper = new RecordingSleeper();

    @AfterEach
    void stop() throws IOException {
        fake.close();
    }

    private AnthropicLanguageModel model() {
        ProviderSettings settings = ProviderSettings.anthropic(fake.baseUrl(""), "claude-sonnet-4-5", ApiKey.of("sk-ant-test"))
                .withTimeouts(Calls.generous()).withMaxOutputTokens(321);
        return new AnthropicLanguageModel(settings, sleeper, Clock.systemUTC());
    }

    @Test
    void streams_text_deltas_with_stop_reason_and_usage() {
        fake.then(Response.stream(FakeProvider.fixture(STREAM)));

        Calls.Outcome outcome = Calls.call(model());

        assertThat(outcome.deltas()).containsExactly("Hello", " there", ", friend!");
        assertThat(outcome.result().stopReason()).contains("end_turn");
        assertThat(outcome.result().usage()).contains(new TokenUsage(25, 15));
    }

    @Test
    void sends_key_version_system_prompt_and_history() throws Exception {
        fake.then(Response.stream(FakeProvider.fixture(STREAM)));

        Calls.call(model());

        FakeProvider.Received received = fake.received().get(0);
        assertThat(received.path()).isEqualTo("/v1/messages");
        assertThat(received.headers()).containsEntry("x-api-key", "sk-ant-test")
                .containsEntry("anthropic-version", "2023-06-01").doesNotContainKey("authorization");
        JsonNode body = Json.MAPPER.readTree(received.body());
        assertThat(body.path("model").asText()).isEqualTo("claude-sonnet-4-5");
        assertThat(body.path("stream").asBoolean()).isTrue();
        assertThat(body.path("max_tokens").asInt()).isEqualTo(321);
        assertThat(body.path("system").asText()).isEqualTo(Calls.SYSTEM_PROMPT);
        List<String> turns = new ArrayList<>();
        body.path("messages").forEach(m -> turns.add(m.path("role").asText() + ":" + m.path("content").asText()));
        assertThat(turns).containsExactly("user:Hello", "assistant:Hi! How can I help?", "user:Tell me something nice.");
    }

    @Test
    void pings_unknown_events_and_non_text_deltas_are_skipped() {
        fake.then(Response.stream(FakeProvider.fixture("anthropic/messages-stream-pings-unknown-events.sse")));

        Calls.Outcome outcome = Calls.call(model());

        assertThat(outcome.deltas()).containsExactly("Hello", " there", ", friend!");
        assertThat(outcome.result().stopReason()).contains("end_turn");
    }

    @Test
    void an_error_event_before_any_text_is_retried_then_unavailable() {
        fake.then(Response.stream(FakeProvider.fixture("anthropic/messages-stream-error-before-text.sse")));

        LanguageModelException failure = Calls.call(model()).failed();

        assertThat(failure.state()).isEqualTo(CompanionState.ERROR);
        assertThat(failure.diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_UNAVAILABLE);
        assertThat(failure.getMessage()).doesNotContain("Overloaded");
        assertThat(fake.received()).hasSize(3);
    }

    @Test
    void an_error_event_after_text_is_an_interruption_and_not_retried() {
        Calls.Outcome outcome = Calls.call(fakeWith("anthropic/messages-stream-error-after-text.sse"));

        assertThat(outcome.deltas()).containsExactly("Hello", " there");
        assertThat(outcome.failed().diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_STREAM_INTERRUPTED);
        assertThat(fake.received()).hasSize(1);
    }

    private AnthropicLanguageModel fakeWith(String fixture) {
        fake.then(Response.stream(FakeProvider.fixture(fixture)));
        return model();
    }

    @Test
    void overloaded_529_is_unavailable_after_retries() {
        fake.then(Response.status(529, FakeProvider.fixture("anthropic/error-overloaded.json")));

        LanguageModelException failure = Calls.call(model()).failed();

        assertThat(failure.diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_UNAVAILABLE);
        assertThat(failure.getMessage()).contains("HTTP 529").contains("req_fake_529");
        assertThat(fake.received()).hasSize(3);
    }

    @Test
    void a_rate_limit_is_busy_with_the_retry_after_hint() {
        fake.then(Response.status(429, FakeProvider.fixture("anthropic/error-rate-limit.json"), "retry-after", "2"));

        LanguageModelException failure = Calls.call(model()).failed();

        assertThat(failure.state()).isEqualTo(CompanionState.BUSY);
        assertThat(failure.retryAfter()).contains(Duration.ofSeconds(2));
        assertThat(sleeper.waits).hasSize(2).allSatisfy(w -> assertThat(w).isGreaterThanOrEqualTo(Duration.ofSeconds(2)));
    }

    @Test
    void a_spend_limit_429_is_quota_exceeded_and_not_retried() {
        fake.then(Response.status(429, FakeProvider.fixture("anthropic/error-spend-limit.json"), "retry-after", "1"));

        LanguageModelException failure = Calls.call(model()).failed();

        assertThat(failure.state()).isEqualTo(CompanionState.ERROR);
        assertThat(failure.diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_QUOTA_EXCEEDED);
        assertThat(fake.received()).hasSize(1);
    }

    @Test
    void a_billing_error_is_quota_exceeded() {
        fake.then(Response.status(402, FakeProvider.fixture("anthropic/error-billing.json")));

        assertThat(Calls.call(model()).failed().diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_QUOTA_EXCEEDED);
    }

    @Test
    void auth_and_not_found_are_typed() {
        fake.then(Response.status(401, FakeProvider.fixture("anthropic/error-authentication.json")),
                Response.status(404, FakeProvider.fixture("anthropic/error-not-found.json")));

        assertThat(Calls.call(model()).failed().diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_AUTH_FAILED);
        assertThat(Calls.call(model()).failed().diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_MODEL_NOT_FOUND);
    }

    @Test
    void a_stream_cut_after_three_deltas_is_interrupted() {
        List<byte[]> events = FakeProvider.events(FakeProvider.fixture(STREAM));
        CountDownLatch thirdDelta = new CountDownLatch(3);
        List<Step> steps = new ArrayList<>();
        events.subList(0, 6).forEach(e -> steps.add(new Send(e)));
        steps.add(new Await(thirdDelta));
        steps.add(new Cut());
        fake.then(Response.streaming(steps));

        Calls.Outcome outcome = Calls.call(model(), Calls.request(), new CancellationSignal(), d -> thirdDelta.countDown());

        assertThat(outcome.deltas()).containsExactly("Hello", " there", ", friend!");
        assertThat(outcome.failed().diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_STREAM_INTERRUPTED);
    }
}
