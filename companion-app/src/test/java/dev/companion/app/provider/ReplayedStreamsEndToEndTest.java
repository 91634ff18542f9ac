package dev.companion.app.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.companion.adapter.cli.CompanionCommandLine;
import dev.companion.adapter.cli.CompanionCommandLine.Launcher;
import dev.companion.adapter.llm.FakeProvider;
import dev.companion.app.AppLaunchers;
import dev.companion.app.provider.Stage.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each shape that real servers send and that once came out wrong, replayed from the recorded corpus
 * through the whole app ({@code companion send --json} on the real runtime and provider client): the
 * stored reply's status, its diagnostic, where the reasoning went, how many requests the provider saw,
 * and the exit code a script sees.
 */
class ReplayedStreamsEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String key = "sk-replay-" + UUID.randomUUID();
    private final Launcher launcher = AppLaunchers.inMemory(Map.of(Stage.KEY_VARIABLE, key));
    private FakeProvider provider;

    @AfterEach
    void stop() throws java.io.IOException {
        if (provider != null) {
            provider.close();
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            // case 1: cut at the output limit
            "OPENAI,    openai/chat-stream-length.sse,                   8, truncated,   provider_reply_truncated, false",
            "ANTHROPIC, anthropic/messages-stream-max-tokens.sse,        8, truncated,   provider_reply_truncated, false",
            // case 2: content filter
            "OPENAI,    azure/chat-stream-content-filter.sse,            8, filtered,    provider_reply_filtered,  false",
            // case 3: refusal, with and without text
            "ANTHROPIC, anthropic/messages-stream-refusal-no-text.sse,   8, refused,     provider_reply_refused,   false",
            "ANTHROPIC, anthropic/messages-stream-refusal-after-text.sse, 8, refused,    provider_reply_refused,   false",
            // case 4: reasoning in every shape, apart from the words
            "OPENAI,    deepseek/chat-stream-reasoning-content.sse,      0, completed,   ,                         true",
            "OPENAI,    vllm/chat-stream-reasoning.sse,                  0, completed,   ,                         true",
            "OPENAI,    ollama/chat-stream-reasoning.sse,                0, completed,   ,                         true",
            "OPENAI,    llamacpp/chat-stream-think-tags.sse,             0, completed,   ,                         true",
            "ANTHROPIC, anthropic/messages-stream-thinking.sse,          0, completed,   ,                         true",
            "ANTHROPIC, llamacpp/messages-stream-thinking.sse,           0, completed,   ,                         true",
            // case 5: a clean end after the stop reason without [DONE]
            "OPENAI,    ik-llamacpp/chat-stream-no-done.sse,             0, completed,   ,                         false",
            "OPENAI,    llama-box/chat-stream-no-done.sse,               0, completed,   ,                         false",
            // case 6: content as an array of parts
            "OPENAI,    databricks/chat-stream-content-parts.sse,        0, completed,   ,                         false",
            // case 7: an error object not under 'error', after some text
            "OPENAI,    vllm/chat-stream-error-object-after-text.sse,    1, incomplete,  ,                         false",
            // case 7: a prompt too long for the context is refused once, never retried
            "OPENAI,    llamacpp/error-exceed-context-size.http,         1, failed,      provider_context_too_long, false",
            // case 9: llama.cpp's Anthropic-style error event without a type
            "ANTHROPIC, llamacpp/messages-stream-error-event.sse,        1, ,            ,                         false",
    })
    void a_recorded_stream_ends_as_it_should_end_to_end(Wire wire, String fixture, int exitCode, String status,
                                                       String diagnostic, boolean reasoning) throws Exception {
        provider = new FakeProvider(FakeProvider.recorded(fixture));

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var commandLine = CompanionCommandLine.create(launcher, "test", new ByteArrayInputStream(new byte[0]));
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        List<String> line = new ArrayList<>(List.of("send", "tell me something", "--json",
                "--provider", wire.source(), "--model", wire.model, "--base-url",
                Stage.baseUrl(wire, provider).toString(), "--api-key-env", Stage.KEY_VARIABLE, "--ephemeral"));
        int code = commandLine.execute(line.toArray(String[]::new));

        assertThat(code).as("exit code; stderr %s", err).isEqualTo(exitCode);
        assertThat(out.toString() + err).doesNotContain(key);
        JsonNode answer = JSON.readTree(out.toString());
        JsonNode reply = answer.get("reply");
        if (status != null) {
            assertThat(reply.get("status").asText()).isEqualTo(status);
            assertThat(reply.get("content").asText()).doesNotContain("<think>").doesNotContain("</think>");
            assertThat(reply.get("reasoning").isTextual() && !reply.get("reasoning").asText().isEmpty())
                    .as("reasoning kept apart: %s", reply).isEqualTo(reasoning);
            if (reasoning) {
                assertThat(reply.get("content").asText()).isNotBlank()
                        .doesNotContain(reply.get("reasoning").asText());
            }
        } else {
            assertThat(answer.get("state").asText()).isEqualTo("error");
        }
        if (diagnostic != null) {
            assertThat(answer.toString()).contains("\"code\":\"" + diagnostic + "\"");
        }
        // Nothing here is worth asking twice: no retry of a stream that has said something.
        assertThat(provider.received()).hasSize(1);
    }
}
