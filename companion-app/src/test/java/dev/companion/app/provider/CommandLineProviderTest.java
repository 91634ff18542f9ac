package dev.companion.app.provider;

import dev.companion.adapter.cli.CompanionCommandLine;
import dev.companion.adapter.cli.CompanionCommandLine.ExitCodes;
import dev.companion.adapter.llm.FakeProvider;
import dev.companion.adapter.llm.FakeProvider.Response;
import dev.companion.app.AppLaunchers;
import dev.companion.app.provider.Stage.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The terminal use: {@code companion send|status --provider … --base-url … --api-key-env …} runs the
 * real app in-process against the fake provider; the reply streams to standard output and each
 * failure is one line on standard error with the exit code of its state.
 */
class CommandLineProviderTest {

    private final String key = "sk-e2e-" + UUID.randomUUID();
    private FakeProvider provider;

    private record Run(int exitCode, String out, String err) {
    }

    @AfterEach
    void stop() throws IOException {
        if (provider != null) {
            provider.close();
        }
    }

    private Run run(Wire wire, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var commandLine = CompanionCommandLine.create(AppLaunchers.inMemory(Map.of(Stage.KEY_VARIABLE, key)), "test",
                new ByteArrayInputStream(new byte[0]));
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        List<String> line = new ArrayList<>(List.of(args));
        line.addAll(List.of("--provider", wire.source(), "--model", wire.model, "--base-url",
                Stage.baseUrl(wire, provider).toString(), "--api-key-env", Stage.KEY_VARIABLE, "--ephemeral"));
        int code = commandLine.execute(line.toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void send_prints_the_streamed_reply_and_status_names_the_live_provider(Wire wire) {
        provider = new FakeProvider(Response.stream(wire.reply()));

        Run send = run(wire, "send", "hi");
        assertThat(send.exitCode()).isEqualTo(ExitCodes.OK);
        assertThat(send.out()).isEqualTo("Hello there, friend!" + System.lineSeparator());
        assertThat(send.err()).isEmpty();

        Run status = run(wire, "status");
        assertThat(status.exitCode()).isEqualTo(ExitCodes.OK);
        assertThat(status.out()).contains("provider:    " + wire.source() + ", model " + wire.model
                + ", at 127.0.0.1, live");
        assertThat(status.out() + status.err()).doesNotContain(key).doesNotContain("not live");
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void each_failure_is_one_line_and_the_exit_code_of_its_state(Wire wire) {
        String auth = wire == Wire.OPENAI ? "openai/error-invalid-api-key.json" : "anthropic/error-authentication.json";
        String rate = wire == Wire.OPENAI ? "openai/error-rate-limit.json" : "anthropic/error-rate-limit.json";
        provider = new FakeProvider(Response.stream(wire.reply()))
                .then(Response.status(401, FakeProvider.fixture(auth, key)))
                .then(Response.status(429, FakeProvider.fixture(rate, key), "Retry-After", "120"));

        Run refused = run(wire, "send", "hi");
        assertThat(refused.exitCode()).isEqualTo(ExitCodes.ERROR);
        assertThat(refused.err()).startsWith("error: ").contains("(provider_auth_failed)").doesNotContain(key);

        Run limited = run(wire, "send", "hi", "--json");
        assertThat(limited.exitCode()).isEqualTo(ExitCodes.BUSY);
        assertThat(limited.out()).contains("\"state\":\"busy\"", "\"outcome\":\"failed\"", "provider_rate_limited",
                "120 s");
        assertThat(limited.err()).contains("(provider_rate_limited)");
    }
}
