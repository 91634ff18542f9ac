package dev.companion.adapter.llm;

import dev.companion.adapter.llm.FakeProvider.Response;
import dev.companion.adapter.llm.FakeProvider.Send;
import dev.companion.adapter.llm.FakeProvider.Step;
import dev.companion.adapter.llm.LanguageModels.ApiKey;
import dev.companion.adapter.llm.LanguageModels.Kind;
import dev.companion.adapter.llm.LanguageModels.ProviderSettings;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.port.LanguageModelException;
import dev.companion.core.port.ModelResult.Ending;
import dev.companion.core.model.TokenUsage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static dev.companion.core.model.DiagnosticCode.PROVIDER_CONTEXT_TOO_LONG;
import static dev.companion.core.model.DiagnosticCode.PROVIDER_MODEL_NOT_FOUND;
import static dev.companion.core.model.DiagnosticCode.PROVIDER_REPLY_FILTERED;
import static dev.companion.core.model.DiagnosticCode.PROVIDER_REPLY_REFUSED;
import static dev.companion.core.model.DiagnosticCode.PROVIDER_REPLY_TRUNCATED;
import static dev.companion.core.model.DiagnosticCode.PROVIDER_REQUEST_REJECTED;
import static dev.companion.core.model.DiagnosticCode.PROVIDER_STREAM_INTERRUPTED;
import static dev.companion.core.model.DiagnosticCode.PROVIDER_UNAVAILABLE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every recorded response under {@code src/test/resources/fixtures} ({@code .sse} streams and
 * {@code .http} answers), replayed over real HTTP by the loopback fake and read by the model that
 * speaks its protocol: the reply text, the reasoning, how the reply ended, the usage and the
 * diagnostics are what the recording means. A stream is replayed whole, event by event, and in
 * pieces of a few bytes that cut lines and UTF-8 characters apart.
 */
class RecordedStreamsTest {

    private static final Path FIXTURES = fixturesDirectory();

    /** One recording (and what the fake answers after it, for a request sent again) and what it must give. */
    record Case(String fixture, Kind protocol, List<String> then, String text, String reasoning,
                Optional<Ending> ending, Optional<TokenUsage> usage, List<DiagnosticCode> notes,
                Optional<DiagnosticCode> failure, int requests) {

        static Case openAi(String fixture) {
            return new Case(fixture, Kind.OPENAI, List.of(), "", "", Optional.of(Ending.COMPLETED), Optional.empty(),
                    List.of(), Optional.empty(), 1);
        }

        static Case anthropic(String fixture) {
            return new Case(fixture, Kind.ANTHROPIC, List.of(), "", "", Optional.of(Ending.COMPLETED), Optional.empty(),
                    List.of(), Optional.empty(), 1);
        }

        Case text(String value) {
            return new Case(fixture, protocol, then, value, reasoning, ending, usage, notes, failure, requests);
        }

        Case reasoning(String value) {
            return new Case(fixture, protocol, then, text, value, ending, usage, notes, failure, requests);
        }

        /** Ends normally but not whole: {@code ending} with its own warning. */
        Case ends(Ending value, DiagnosticCode note) {
            return new Case(fixture, protocol, then, text, reasoning, Optional.of(value), usage, List.of(note), failure,
                    requests);
        }

        Case usage(long input, long output, long reasoningTokens) {
            return new Case(fixture, protocol, then, text, reasoning, ending,
                    Optional.of(new TokenUsage(input, output, reasoningTokens)), notes, failure, requests);
        }

        /** Fails with {@code code} after {@code count} requests. */
        Case fails(DiagnosticCode code, int count) {
            return new Case(fixture, protocol, then, text, reasoning, Optional.empty(), usage, notes, Optional.of(code),
                    count);
        }

        /** The fake answers the request sent again with {@code next}; {@code count} requests in all. */
        Case then(String next, int count) {
            List<String> more = new ArrayList<>(then);
            more.add(next);
            return new Case(fixture, protocol, more, text, reasoning, ending, usage, notes, failure, count);
        }

        @Override
        public String toString() {
            return fixture + then.stream().map(next -> " then " + next).reduce("", String::concat);
        }
    }

    enum Delivery { WHOLE, EVENT_BY_EVENT, SMALL_PIECES }

    static List<Case> cases() {
        return List.of(
                // OpenAI
                Case.openAi("openai/chat-stream.sse").text("Hello there, friend!").usage(31, 4, 0),
                Case.openAi("openai/chat-stream-crlf-keepalive-multiline.sse").text("Hello there, fri\u00e9nd!"),
                Case.openAi("openai/chat-stream-length.sse")
                        .text("Here are three nice things: the sun is warm, the").usage(28, 12, 0)
                        .ends(Ending.TRUNCATED, PROVIDER_REPLY_TRUNCATED),
                Case.openAi("openai/chat-stream-reasoning-tokens.sse")
                        .text("Sunlight reaches you from eight minutes ago.").usage(30, 210, 192),
                Case.openAi("openai/chat-stream-refusal.sse").text("I'm sorry, I can't help with that.").usage(40, 9, 0)
                        .ends(Ending.REFUSED, PROVIDER_REPLY_REFUSED),
                Case.openAi("openai/error-context-length-exceeded.http").fails(PROVIDER_CONTEXT_TOO_LONG, 1),
                // Azure OpenAI and Azure AI Foundry
                Case.openAi("azure/chat-stream-content-filter-results.sse").text("Hello there, friend!").usage(25, 5, 0),
                Case.openAi("azure/chat-stream-content-filter.sse").text("Once upon a time, the knight")
                        .ends(Ending.FILTERED, PROVIDER_REPLY_FILTERED),
                Case.openAi("azure/error-content-filter-prompt.http").fails(PROVIDER_REQUEST_REJECTED, 1),
                Case.openAi("azure/foundry-chat-stream.sse").text("Hello there, friend!"),
                Case.openAi("azure/foundry-stream-options-rejected.http").then("azure/foundry-chat-stream.sse", 2)
                        .text("Hello there, friend!"),
                Case.openAi("azure/foundry-mistral-stream-options-422.http").then("azure/foundry-chat-stream.sse", 2)
                        .text("Hello there, friend!"),
                // Anthropic
                Case.anthropic("anthropic/messages-stream.sse").text("Hello there, friend!").usage(25, 15, 0),
                Case.anthropic("anthropic/messages-stream-pings-unknown-events.sse").text("Hello there, friend!")
                        .usage(25, 15, 0),
                Case.anthropic("anthropic/messages-stream-error-after-text.sse").text("Hello there")
                        .fails(PROVIDER_STREAM_INTERRUPTED, 1),
                Case.anthropic("anthropic/messages-stream-error-before-text.sse").fails(PROVIDER_UNAVAILABLE, 3),
                Case.anthropic("anthropic/messages-stream-max-tokens.sse")
                        .text("Here are three nice things: the sun is warm, and").usage(25, 16, 0)
                        .ends(Ending.TRUNCATED, PROVIDER_REPLY_TRUNCATED),
                Case.anthropic("anthropic/messages-stream-refusal-after-text.sse").text("I can tell you about the chemistry of")
                        .usage(31, 9, 0).ends(Ending.REFUSED, PROVIDER_REPLY_REFUSED),
                Case.anthropic("anthropic/messages-stream-refusal-no-text.sse").usage(31, 0, 0)
                        .ends(Ending.REFUSED, PROVIDER_REPLY_REFUSED),
                Case.anthropic("anthropic/messages-stream-thinking.sse").text("Sea otters hold hands while they sleep.")
                        .reasoning("The user wants something nice. A small true fact would do.").usage(125, 92, 0),
                Case.anthropic("anthropic/messages-stream-no-message-stop.sse").text("Hello there, friend!").usage(25, 6, 0),
                Case.anthropic("anthropic/error-prompt-too-long.http").fails(PROVIDER_CONTEXT_TOO_LONG, 1),
                Case.anthropic("anthropic/error-max-tokens-over-model-limit.http")
                        .then("anthropic/messages-stream.sse", 2).text("Hello there, friend!").usage(25, 15, 0),
                // DeepSeek
                Case.openAi("deepseek/chat-stream-reasoning-content.sse").text("You make the world kinder.")
                        .reasoning("Okay, the user wants something nice. Keep it short.").usage(18, 96, 71),
                // vLLM
                Case.openAi("vllm/chat-stream-reasoning.sse").text("You are doing better than you think.")
                        .reasoning("The user asks for something nice.").usage(21, 43, 0),
                Case.openAi("vllm/error-context-too-long.http").fails(PROVIDER_CONTEXT_TOO_LONG, 1),
                Case.openAi("vllm/chat-stream-error-object-after-text.sse").text("Hello there")
                        .fails(PROVIDER_STREAM_INTERRUPTED, 1),
                Case.openAi("vllm/chat-stream-bad-request-before-text.sse").fails(PROVIDER_REQUEST_REJECTED, 1),
                // llama.cpp
                Case.openAi("llamacpp/chat-stream-timings.sse").text("Hello there, friend!").usage(31, 6, 0),
                Case.openAi("llamacpp/chat-stream-reasoning-content.sse").text("Your curiosity is a gift.")
                        .reasoning("Okay, something kind.").usage(20, 58, 0),
                Case.openAi("llamacpp/chat-stream-think-tags.sse").text("You matter more than you know.")
                        .reasoning("\nThe user wants kindness.").usage(14, 24, 0),
                Case.openAi("llamacpp/error-exceed-context-size.http").fails(PROVIDER_CONTEXT_TOO_LONG, 1),
                Case.openAi("llamacpp/chat-stream-error-field.sse").fails(PROVIDER_CONTEXT_TOO_LONG, 1),
                Case.anthropic("llamacpp/messages-stream-thinking.sse").text("You light up the room.")
                        .reasoning("Something warm.").usage(20, 41, 0),
                Case.anthropic("llamacpp/messages-stream-error-event.sse").fails(PROVIDER_CONTEXT_TOO_LONG, 1),
                Case.openAi("ik-llamacpp/chat-stream-no-done.sse").text("Hello there, friend!").usage(19, 5, 0),
                Case.openAi("llama-box/chat-stream-no-done.sse").text("Hello there, friend!").usage(19, 5, 0),
                // Ollama
                Case.openAi("ollama/chat-stream.sse").text("Hello there, friend!").usage(33, 6, 0),
                Case.openAi("ollama/chat-stream-reasoning.sse").text("Small steps still move you forward.")
                        .reasoning("Okay, be kind and brief.").usage(17, 52, 0),
                Case.openAi("ollama/error-model-not-found.http").fails(PROVIDER_MODEL_NOT_FOUND, 1),
                // OpenRouter
                Case.openAi("openrouter/chat-stream-processing-comments.sse").text("The best is yet to come.")
                        .reasoning("The user wants cheer.").usage(12, 120, 104),
                Case.openAi("openrouter/chat-stream-error-mid-stream.sse").text("Hello there")
                        .fails(PROVIDER_STREAM_INTERRUPTED, 1),
                // SGLang
                Case.openAi("sglang/chat-stream.sse").text("Hello there, friend!").reasoning("Short and warm.")
                        .usage(15, 30, 0),
                Case.openAi("sglang/chat-stream-error-object-context.sse").fails(PROVIDER_CONTEXT_TOO_LONG, 1),
                // Databricks and Mistral: content as an array of parts
                Case.openAi("databricks/chat-stream-content-parts.sse").text("Hello there, friend!").usage(22, 6, 0),
                Case.openAi("databricks/chat-stream-reasoning-parts.sse").text("Kindness is never wasted.")
                        .reasoning("A kind, short line.").usage(80, 31, 0),
                Case.openAi("mistral/chat-stream-thinking-parts.sse").text("Every day you grow.")
                        .reasoning("They want a kind word.").usage(13, 47, 0),
                // A proxy passing a backend's {"error": "text"} on: unknown kind, so retried, then unavailable
                Case.openAi("gateways/chat-stream-error-string.sse").fails(PROVIDER_UNAVAILABLE, 3));
    }

    static Stream<Arguments> replays() {
        return cases().stream().flatMap(c -> c.fixture().endsWith(".sse")
                ? Arrays.stream(Delivery.values()).map(d -> Arguments.of(c, d))
                : Stream.of(Arguments.of(c, Delivery.WHOLE)));
    }

    private final FakeProvider fake = new FakeProvider();

    @AfterEach
    void stop() throws IOException {
        fake.close();
    }

    @ParameterizedTest(name = "{0} ({1})")
    @MethodSource("replays")
    void a_recorded_response_reads_as_the_provider_meant_it(Case recorded, Delivery delivery) {
        fake.then(response(recorded.fixture(), delivery));
        recorded.then().forEach(next -> fake.then(response(next, delivery)));

        Calls.Outcome outcome = Calls.call(model(recorded.protocol()));

        assertThat(outcome.text()).as("reply text").isEqualTo(recorded.text());
        assertThat(outcome.reasoningText()).as("reasoning").isEqualTo(recorded.reasoning());
        assertThat(outcome.text()).as("no reasoning in the reply").doesNotContain("<think>", "</think>");
        if (recorded.failure().isPresent()) {
            LanguageModelException failure = outcome.failed();
            assertThat(failure.diagnostic().code()).as("failure").isEqualTo(recorded.failure().get());
            assertThat(failure.getMessage()).doesNotContain("sk-replay");
        } else {
            assertThat(outcome.failure()).as("failure").isNull();
            assertThat(outcome.result().ending()).as("ending").isEqualTo(recorded.ending().orElseThrow());
            assertThat(outcome.result().usage()).as("usage").isEqualTo(recorded.usage());
            assertThat(outcome.result().diagnostics()).extracting(Diagnostic::code).as("diagnostics")
                    .containsExactlyElementsOf(recorded.notes());
        }
        assertThat(fake.received()).as("requests").hasSize(recorded.requests());
    }

    @Test
    void every_recorded_response_is_replayed_by_a_case() throws IOException {
        List<String> covered = cases().stream()
                .flatMap(c -> Stream.concat(Stream.of(c.fixture()), c.then().stream())).toList();

        assertThat(recordings()).isNotEmpty().allSatisfy(name -> assertThat(covered).contains(name));
    }

    @Test
    void every_recording_names_the_server_it_models_in_a_leading_comment() throws IOException {
        assertThat(recordings()).allSatisfy(name -> {
            String first = Files.readString(FIXTURES.resolve(name), StandardCharsets.UTF_8).lines().findFirst().orElse("");
            assertThat(first).as(name).startsWith(name.endsWith(".sse") ? ": " : "# ").hasSizeGreaterThan(20);
        });
    }

    private LanguageModels.ProviderSettings settings(Kind protocol) {
        ApiKey key = ApiKey.of("sk-replay");
        return (protocol == Kind.OPENAI
                ? ProviderSettings.openAi(fake.baseUrl("/v1"), "replayed-model", Optional.of(key))
                : ProviderSettings.anthropic(fake.baseUrl(""), "replayed-model", key)).withTimeouts(Calls.generous());
    }

    private HttpStreamingLanguageModel model(Kind protocol) {
        RecordingSleeper sleeper = new RecordingSleeper();
        return protocol == Kind.OPENAI
                ? new OpenAiCompatibleLanguageModel(settings(protocol), sleeper, Clock.systemUTC())
                : new AnthropicLanguageModel(settings(protocol), sleeper, Clock.systemUTC());
    }

    private static Response response(String fixture, Delivery delivery) {
        if (!fixture.endsWith(".sse") || delivery == Delivery.WHOLE) {
            return FakeProvider.recorded(fixture);
        }
        byte[] bytes = FakeProvider.fixture(fixture);
        List<Step> steps = new ArrayList<>();
        if (delivery == Delivery.EVENT_BY_EVENT) {
            FakeProvider.events(bytes).forEach(event -> steps.add(new Send(event)));
        } else {
            for (int from = 0; from < bytes.length; from += 7) {
                steps.add(new Send(Arrays.copyOfRange(bytes, from, Math.min(bytes.length, from + 7))));
            }
        }
        steps.add(new FakeProvider.End());
        return Response.streaming(steps);
    }

    /** The .sse and .http fixtures, as names relative to the fixtures directory. */
    private static List<String> recordings() throws IOException {
        try (Stream<Path> files = Files.walk(FIXTURES)) {
            return files.filter(Files::isRegularFile)
                    .map(path -> FIXTURES.relativize(path).toString().replace('\\', '/'))
                    .filter(name -> name.endsWith(".sse") || name.endsWith(".http"))
                    .sorted().toList();
        }
    }

    private static Path fixturesDirectory() {
        try {
            return Path.of(RecordedStreamsTest.class.getResource("/fixtures/README.md").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
