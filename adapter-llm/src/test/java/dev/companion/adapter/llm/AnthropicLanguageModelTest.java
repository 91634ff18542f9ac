package dev.companion.adapter.llm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.port.CancellationSignal;
import dev.companion.core.port.LanguageModelException;
import dev.companion.core.port.ModelResult.Ending;
import dev.companion.core.model.TokenUsage;
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

    private AnthropicLanguageModel modelWithDefaultLimit() {
        ProviderSettings settings = ProviderSettings.anthropic(fake.baseUrl(""), "claude-3-haiku-20240307", ApiKey.of("sk-ant-test"))
                .withTimeouts(Calls.generous());
        return new AnthropicLanguageModel(settings, sleeper, Clock.systemUTC());
    }

    private List<Integer> maxTokensSent() throws IOException {
        List<Integer> sent = new ArrayList<>();
        for (FakeProvider.Received received : fake.received()) {
            sent.add(Json.MAPPER.readTree(received.body()).path("max_tokens").asInt());
        }
        return sent;
    }

    @Test
    void without_a_limit_set_the_reply_may_use_8192_tokens() throws IOException {
        fake.then(Response.stream(FakeProvider.fixture(STREAM)));

        Calls.call(modelWithDefaultLimit());

        assertThat(maxTokensSent()).containsExactly(ProviderSettings.DEFAULT_MAX_OUTPUT_TOKENS);
        assertThat(ProviderSettings.DEFAULT_MAX_OUTPUT_TOKENS).isEqualTo(8192);
    }

    @Test
    void a_model_whose_limit_is_below_the_default_is_asked_again_with_its_own_limit_and_keeps_it() throws IOException {
        fake.then(FakeProvider.recorded("anthropic/error-max-tokens-over-model-limit.http"),
                Response.stream(FakeProvider.fixture(STREAM)), Response.stream(FakeProvider.fixture(STREAM)));
        AnthropicLanguageModel model = modelWithDefaultLimit();

        Calls.Outcome first = Calls.call(model);
        Calls.call(model);

        assertThat(first.text()).isEqualTo("Hello there, friend!");
        assertThat(maxTokensSent()).containsExactly(8192, 4096, 4096);
        assertThat(sleeper.waits).isEmpty();
    }

    @Test
    void a_limit_set_on_purpose_is_never_lowered() throws IOException {
        fake.then(FakeProvider.recorded("anthropic/error-max-tokens-over-model-limit.http"));

        LanguageModelException failure = Calls.call(model()).failed();

        assertThat(failure.diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_REQUEST_REJECTED);
        assertThat(maxTokensSent()).containsExactly(321);
    }

    @Test
    void thinking_reaches_the_sink_as_reasoning_and_the_signature_nowhere() {
        fake.then(FakeProvider.recorded("anthropic/messages-stream-thinking.sse"));

        Calls.Outcome outcome = Calls.call(model());

        assertThat(outcome.reasoning()).containsExactly("The user wants something nice.", " A small true fact", " would do.");
        assertThat(outcome.deltas()).containsExactly("Sea otters hold hands", " while they sleep.");
        assertThat(outcome.result().usage()).contains(new TokenUsage(125, 92));
    }

    @Test
    void a_refusal_without_text_is_a_refused_reply_not_an_empty_response() {
        fake.then(FakeProvider.recorded("anthropic/messages-stream-refusal-no-text.sse"));

        Calls.Outcome outcome = Calls.call(model());

        assertThat(outcome.deltas()).isEmpty();
        assertThat(outcome.result().ending()).isEqualTo(Ending.REFUSED);
        assertThat(outcome.result().stopReason()).contains("refusal");
        assertThat(outcome.result().endingDiagnostic()).hasValueSatisfying(d -> {
            assertThat(d.code()).isEqualTo(DiagnosticCode.PROVIDER_REPLY_REFUSED);
            assertThat(d.message()).isEqualTo("The model declined to answer this message (stop reason refusal).");
        });
    }

    @Test
    void a_refusal_after_some_text_keeps_the_text_and_is_not_completed() {
        fake.then(FakeProvider.recorded("anthropic/messages-stream-refusal-after-text.sse"));

        Calls.Outcome outcome = Calls.call(model());

        assertThat(outcome.text()).isEqualTo("I can tell you about the chemistry of");
        assertThat(outcome.result().ending()).isEqualTo(Ending.REFUSED);
    }

    @Test
    void an_error_event_without_anthropic_s_type_field_still_fails_the_reply() {
        fake.then(FakeProvider.recorded("llamacpp/messages-stream-error-event.sse"));

        LanguageModelException failure = Calls.call(model()).failed();

        assertThat(failure.diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_CONTEXT_TOO_LONG);
        assertThat(fake.received()).hasSize(1);
    }
}
