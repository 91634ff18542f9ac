package dev.companion.adapter.llm;

import dev.companion.core.port.CancellationSignal;
import dev.companion.core.port.LanguageModel;
import dev.companion.adapter.llm.FakeProvider.HoldUntilClientCloses;
import dev.companion.adapter.llm.FakeProvider.Response;
import dev.companion.adapter.llm.LanguageModels.ApiKey;
import dev.companion.adapter.llm.LanguageModels.ProviderSettings;
import dev.companion.adapter.llm.LanguageModels.Timeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs both providers through success and every kind of failure with a unique key, while the fake
 * echoes that key in its error bodies and events as real upstreams do, and looks for the key in
 * everything the adapter lets out.
 */
class ApiKeyCanaryTest {

    private static final String CANARY = "sk-canary-" + UUID.randomUUID();

    private final FakeProvider fake = new FakeProvider();
    private final List<String> seen = new ArrayList<>();
    private final List<LogRecord> logs = new CopyOnWriteArrayList<>();
    private final Logger logger = Logger.getLogger("dev.companion.adapter.llm");
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logs.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private Level previous;

    @BeforeEach
    void captureLogs() {
        previous = logger.getLevel();
        logger.setLevel(Level.ALL);
        capture.setLevel(Level.ALL);
        logger.addHandler(capture);
    }

    @AfterEach
    void stop() throws IOException {
        logger.removeHandler(capture);
        logger.setLevel(previous);
        fake.close();
    }

    @Test
    void the_key_appears_in_no_message_diagnostic_to_string_provider_info_or_log() {
        byte[] echo = FakeProvider.fixture("openai/error-invalid-api-key.json", CANARY);
        byte[] badEvent = ("data: {\"oops\": " + CANARY + "}\n\n").getBytes(StandardCharsets.UTF_8);
        fake.then(
                Response.stream(FakeProvider.fixture("openai/chat-stream.sse")),
                Response.status(401, echo),
                Response.status(429, FakeProvider.fixture("openai/error-insufficient-quota.json", CANARY)),
                Response.status(500, echo), Response.status(500, echo), Response.status(500, echo),
                Response.stream(badEvent),
                Response.streaming(List.of(new HoldUntilClientCloses())),
                Response.stream(FakeProvider.fixture("anthropic/messages-stream.sse")),
                Response.status(401, FakeProvider.fixture("anthropic/error-authentication.json", CANARY)),
                Response.stream(FakeProvider.fixture("anthropic/messages-stream-error-before-text.sse", CANARY)),
                Response.stream(FakeProvider.fixture("anthropic/messages-stream-error-after-text.sse", CANARY)));
        Timeouts timeouts = new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(30));
        ProviderSettings openAi = ProviderSettings.openAi(fake.baseUrl("/v1"), "gpt-4o-mini", Optional.of(ApiKey.of(CANARY)))
                .withTimeouts(timeouts).withReason("chosen by the canary test");
        ProviderSettings anthropic = ProviderSettings.anthropic(fake.baseUrl(""), "claude-sonnet-4-5", ApiKey.of(CANARY))
                .withTimeouts(timeouts).withRetry(new LanguageModels.Retry(0, Duration.ZERO, Duration.ofSeconds(60)));
        LanguageModel openAiModel = new OpenAiCompatibleLanguageModel(openAi, new RecordingSleeper(), Clock.systemUTC());
        LanguageModel anthropicModel = new AnthropicLanguageModel(anthropic, new RecordingSleeper(), Clock.systemUTC());

        for (int i = 0; i < 6; i++) {
            record(Calls.call(openAiModel));
        }
        for (int i = 0; i < 4; i++) {
            record(Calls.call(anthropicModel));
        }
        for (LanguageModel model : List.of(openAiModel, anthropicModel)) {
            seen.add(model.toString());
            seen.add(model.provider().toString());
        }
        seen.add(openAi.toString());
        seen.add(anthropic.toString());
        seen.add(ApiKey.of(CANARY).toString());
        seen.add(openAi.apiKey().toString());
        seen.add(LanguageModels.chooseAuto(Optional.of(ApiKey.of(CANARY)), Optional.empty(), Optional.empty(), () -> false).toString());
        SimpleFormatter formatter = new SimpleFormatter();
        logs.forEach(record -> seen.add(formatter.format(record)));

        assertThat(fake.received()).as("every scripted response was served").hasSize(12);
        assertThat(fake.received()).allSatisfy(r -> assertThat(r.body()).doesNotContain(CANARY));
        assertThat(logs).as("the retries were logged").isNotEmpty();
        assertThat(seen).hasSizeGreaterThan(20).allSatisfy(text -> assertThat(text).doesNotContain(CANARY)
                .doesNotContain("Incorrect API key").doesNotContain("Overloaded"));
    }

    private void record(Calls.Outcome outcome) {
        if (outcome.result() != null) {
            seen.add(outcome.result().toString());
        }
        Throwable failure = outcome.failure();
        if (failure != null) {
            StringWriter trace = new StringWriter();
            failure.printStackTrace(new PrintWriter(trace));
            seen.add(trace.toString());
            seen.add(outcome.failed().diagnostic().toString());
        }
    }
}
