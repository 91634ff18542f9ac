package dev.companion.app.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.companion.adapter.cli.CompanionCommandLine;
import dev.companion.adapter.cli.CompanionCommandLine.ExitCodes;
import dev.companion.adapter.cli.CompanionCommandLine.Launcher;
import dev.companion.adapter.cli.CompanionCommandLine.RunningServer;
import dev.companion.adapter.cli.CompanionCommandLine.ServeOptions;
import dev.companion.adapter.cli.CompanionCommandLine.StorageOptions;
import dev.companion.adapter.llm.FakeProvider;
import dev.companion.adapter.llm.FakeProvider.Response;
import dev.companion.app.AppLaunchers;
import dev.companion.app.provider.Stage.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Recorded provider streams through the whole app, as a person runs it: {@code companion send} on
 * a reply cut at the output limit (exit 8), on a reasoning model's reply (the reasoning apart from the
 * words), {@code --max-output-tokens} in the provider's request, and {@code serve --max-running-turns}
 * in the runtime, with the CLI's export agreeing with HTTP's item for item.
 */
class ReplyDetailsEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NL = System.lineSeparator();

    private final String key = "sk-e2e-" + UUID.randomUUID();
    private final Launcher launcher = AppLaunchers.inMemory(Map.of(Stage.KEY_VARIABLE, key));
    private FakeProvider provider;
    private RunningServer server;
    private AppClient api;

    private record Run(int exitCode, String out, String err) {
        JsonNode json() throws IOException {
            return JSON.readTree(out);
        }
    }

    @AfterEach
    void stop() throws IOException {
        if (api != null) {
            api.close();
        }
        if (server != null) {
            server.close();
        }
        if (provider != null) {
            provider.close();
        }
    }

    private Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var commandLine = CompanionCommandLine.create(launcher, "test", new ByteArrayInputStream(new byte[0]));
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int code = commandLine.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** {@code args} in-process against the fake, as {@code --provider … --base-url … --api-key-env … --ephemeral}. */
    private Run local(Wire wire, String... args) {
        List<String> line = new ArrayList<>(List.of(args));
        line.addAll(List.of("--provider", wire.source(), "--model", wire.model, "--base-url",
                Stage.baseUrl(wire, provider).toString(), "--api-key-env", Stage.KEY_VARIABLE, "--ephemeral"));
        return run(line.toArray(String[]::new));
    }

    private static byte[] fixture(String name) {
        return FakeProvider.fixture(name, "unused");
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void a_reply_cut_at_the_output_limit_is_printed_warned_and_exits_8(Wire wire) throws Exception {
        provider = new FakeProvider(Response.stream(fixture(wire == Wire.OPENAI
                ? "openai/chat-stream-length.sse" : "anthropic/messages-stream-max-tokens.sse")));

        Run text = local(wire, "send", "three nice things", "--max-output-tokens", "12");
        Run json = local(wire, "send", "three nice things", "--max-output-tokens", "12", "--json");

        String cut = wire == Wire.OPENAI ? "Here are three nice things: the sun is warm, the"
                : "Here are three nice things: the sun is warm, and";
        assertThat(text.exitCode()).isEqualTo(ExitCodes.ENDED_EARLY);
        assertThat(text.out()).isEqualTo(cut + NL);
        assertThat(text.err()).startsWith("warning: ").contains("(provider_reply_truncated)" + NL + "hint: ")
                .doesNotContain(key);
        assertThat(json.exitCode()).isEqualTo(ExitCodes.ENDED_EARLY);
        JsonNode reply = json.json().get("reply");
        assertThat(json.json().get("state").asText()).isEqualTo("ready");
        assertThat(reply.get("status").asText()).isEqualTo("truncated");
        assertThat(reply.get("content").asText()).isEqualTo(cut);
        assertThat(reply.at("/usage/input_tokens").asLong()).isEqualTo(wire == Wire.OPENAI ? 28 : 25);
        assertThat(reply.at("/usage/output_tokens").asLong()).isEqualTo(wire == Wire.OPENAI ? 12 : 16);
        assertThat(reply.at("/diagnostics/0/code").asText()).isEqualTo("provider_reply_truncated");
        // The limit asked for is the one the provider was sent (max_tokens: a server that is not api.openai.com).
        assertThat(provider.received()).allSatisfy(request ->
                assertThat(JSON.readTree(request.body()).get("max_tokens").asInt()).isEqualTo(12));
    }

    @Test
    void a_reasoning_models_thinking_is_shown_apart_only_when_asked_and_kept_in_json() throws Exception {
        provider = new FakeProvider(Response.stream(fixture("deepseek/chat-stream-reasoning-content.sse")));

        Run hidden = local(Wire.OPENAI, "send", "something nice");
        Run shown = local(Wire.OPENAI, "send", "something nice", "--show-reasoning");
        Run json = local(Wire.OPENAI, "send", "something nice", "--json");

        assertThat(hidden.exitCode()).isZero();
        assertThat(hidden.out()).isEqualTo("You make the world kinder." + NL);
        assertThat(hidden.err()).isEmpty();
        assertThat(shown.exitCode()).isZero();
        assertThat(shown.out()).isEqualTo("You make the world kinder." + NL);
        assertThat(shown.err().split("\\R")).hasSize(2).satisfies(lines -> {
            assertThat(lines[0]).isEqualTo("thinking: Okay, the user wants something nice. Keep it short.");
            assertThat(lines[1]).matches("Thought for \\d+(\\.\\d)? s");
        });
        JsonNode reply = json.json().get("reply");
        assertThat(reply.get("content").asText()).isEqualTo("You make the world kinder.");
        assertThat(reply.get("reasoning").asText()).isEqualTo("Okay, the user wants something nice. Keep it short.");
        assertThat(reply.get("reasoning_ms").isIntegralNumber()).isTrue();
        assertThat(reply.get("usage").toString())
                .isEqualTo("{\"input_tokens\":18,\"output_tokens\":96,\"reasoning_tokens\":71}");
        // No output limit asked for: an OpenAI-compatible server is sent none.
        assertThat(provider.received()).allSatisfy(request ->
                assertThat(JSON.readTree(request.body()).has("max_tokens")).isFalse());
    }

    @Test
    void serve_max_running_turns_reaches_the_runtime_and_the_cli_export_agrees_with_http() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        byte[] reasoning = fixture("deepseek/chat-stream-reasoning-content.sse");
        provider = new FakeProvider(Response.stream(reasoning)).then(Response.streaming(List.of(
                new FakeProvider.Await(release), new FakeProvider.Send(reasoning), new FakeProvider.End())));
        server = launcher.serve(new ServeOptions("127.0.0.1", 0, Stage.options(Wire.OPENAI, provider),
                new StorageOptions(Optional.empty(), true), Optional.empty(), 1));
        String url = server.consoleUri().resolve("/").toString().replaceAll("/$", "");
        api = new AppClient(URI.create(url + "/"));
        AppClient.Feed feed = api.follow();

        // One reply being written fills the runtime's one place.
        String holding = api.send("take your time").json().path("turn_id").asText();
        String other = run("conversations", "new", "--url", url).out().strip();
        Run refused = run("send", "meanwhile", "--conversation", other, "--url", url, "--json");

        assertThat(refused.exitCode()).isEqualTo(ExitCodes.BUSY);
        assertThat(refused.json().get("state").asText()).isEqualTo("busy");
        assertThat(refused.json().get("running_turn_id").isNull()).isTrue();
        assertThat(refused.err()).contains("(too_many_running_turns)");

        release.countDown();
        feed.awaitTurnEnd(holding);
        Run answered = run("send", "now?", "--conversation", other, "--url", url, "--show-reasoning");
        assertThat(answered.exitCode()).isZero();
        assertThat(answered.out()).isEqualTo("You make the world kinder." + NL);
        assertThat(answered.err()).startsWith("thinking: Okay, the user wants something nice. Keep it short." + NL)
                .contains("Thought for ");

        JsonNode cli = JSON.readTree(run("transcript", "--export", "json", "--url", url).out());
        JsonNode http = api.export("json").json();
        assertThat(cli.get("items")).hasSize(2).isEqualTo(http.get("items"));
        assertThat(cli.at("/items/1/reasoning").asText()).isEqualTo("Okay, the user wants something nice. Keep it short.");
        assertThat(cli.at("/items/1/usage/reasoning_tokens").asLong()).isEqualTo(71);
        assertThat(run("transcript", "--export", "markdown", "--url", url).out())
                .contains("_Tokens: 18 in, 96 out (71 reasoning)_").contains("<details><summary>Thought for ");
    }
}
