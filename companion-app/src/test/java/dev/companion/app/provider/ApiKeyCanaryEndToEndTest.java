package dev.companion.app.provider;

import dev.companion.adapter.cli.CompanionCommandLine;
import dev.companion.adapter.cli.CompanionCommandLine.ConnectOptions;
import dev.companion.adapter.cli.CompanionCommandLine.Launcher;
import dev.companion.adapter.cli.CompanionCommandLine.ProviderOptions;
import dev.companion.adapter.cli.CompanionCommandLine.StorageOptions;
import dev.companion.adapter.llm.FakeProvider;
import dev.companion.adapter.llm.FakeProvider.HoldUntilClientCloses;
import dev.companion.adapter.llm.FakeProvider.Received;
import dev.companion.adapter.llm.FakeProvider.Response;
import dev.companion.adapter.llm.FakeProvider.Send;
import dev.companion.app.AppLaunchers;
import dev.companion.app.provider.AppClient.Answer;
import dev.companion.app.provider.AppClient.Feed;
import dev.companion.app.provider.Stage.Wire;
import dev.companion.core.model.CompanionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The canary over every surface: the app runs on both providers with a unique key, only in the
 * environment map, while the fake provider echoes that key in its error bodies and in-stream error
 * events, as real upstreams do. The key must reach the provider's auth header and nothing else: no
 * HTTP answer (body or header) of any route, no event, no diagnostic, no exception, no CLI output,
 * no log record at any level (java.util.logging, and System.Logger, which goes to it), nothing on
 * standard output or error.
 */
class ApiKeyCanaryEndToEndTest {

    private static final String CANARY = "sk-canary-" + UUID.randomUUID();

    private final List<LogRecord> logs = new CopyOnWriteArrayList<>();
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
    private final Logger root = Logger.getLogger("");
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private final List<String> seen = new ArrayList<>();
    private Level rootLevel;
    private PrintStream stdout;
    private PrintStream stderr;

    @BeforeEach
    void captureEverything() {
        rootLevel = root.getLevel();
        root.setLevel(Level.ALL);
        capture.setLevel(Level.ALL);
        root.addHandler(capture);
        stdout = System.out;
        stderr = System.err;
        System.setOut(new PrintStream(new Tee(stdout, console), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new Tee(stderr, console), true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(stdout);
        System.setErr(stderr);
        root.removeHandler(capture);
        root.setLevel(rootLevel);
    }

    @Test
    void the_key_reaches_the_providers_auth_header_and_no_other_surface() throws Exception {
        for (Wire wire : Wire.values()) {
            try (Stage stage = Stage.start(wire, CANARY)) {
                exerciseTheApi(stage);
                assertThat(stage.provider.received()).as("every request carried the key, in the auth header only")
                        .isNotEmpty()
                        .allSatisfy(request -> {
                            assertThat(request.headers()).containsEntry(wire.keyHeader, wire.keyPrefix + CANARY);
                            assertThat(request.body()).doesNotContain(CANARY);
                            assertThat(request.path()).doesNotContain(CANARY);
                        });
            }
            exerciseTheCommandLine(wire);
        }
        exerciseConfigurationErrors();

        SimpleFormatter formatter = new SimpleFormatter();
        logs.forEach(record -> seen.add(formatter.format(record)));
        seen.add(console.toString(StandardCharsets.UTF_8));

        assertThat(logs).as("System.Logger records of the provider adapter (its retries) were captured")
                .anySatisfy(record -> assertThat(record.getLoggerName()).isEqualTo("dev.companion.adapter.llm"));
        assertThat(seen).as("every surface was looked at").hasSizeGreaterThan(50);
        assertThat(seen).allSatisfy(text -> assertThat(text).doesNotContain(CANARY));
    }

    /** Every route, through success, echoed error bodies, echoed in-stream errors and a cancel. */
    private void exerciseTheApi(Stage stage) throws Exception {
        AppClient api = stage.api;
        Wire wire = stage.wire;
        Feed feed = api.follow();
        api.status();
        api.workers();
        assertThat(api.sendAndWait("hello").json().path("outcome").asText()).isEqualTo("completed");

        stage.provider.then(Response.status(401, authFailure(wire)));
        assertThat(api.sendAndWait("again").json().path("diagnostics").findValuesAsText("code"))
                .contains("provider_auth_failed");

        byte[] streamError = inStreamError(wire);
        stage.provider.then(Response.stream(streamError), Response.stream(streamError), Response.stream(streamError));
        assertThat(api.sendAndWait("once more").json().path("diagnostics").findValuesAsText("code"))
                .contains("provider_unavailable");

        if (wire == Wire.ANTHROPIC) {
            stage.provider.then(Response.stream(FakeProvider.fixture("anthropic/messages-stream-error-after-text.sse",
                    CANARY)));
            assertThat(api.sendAndWait("and now").json().path("diagnostics").findValuesAsText("code"))
                    .contains("provider_stream_interrupted");
        }
        stage.provider.then(Response.status(429, wire == Wire.OPENAI
                ? FakeProvider.fixture("openai/error-insufficient-quota.json", CANARY)
                : FakeProvider.fixture("anthropic/error-spend-limit.json", CANARY), "Retry-After", "0"));
        api.sendAndWait("quota?");

        int firstText = wire == Wire.OPENAI ? 2 : 4;
        stage.provider.then(Response.streaming(List.of(
                new Send(FakeProvider.firstEvents(wire.reply(), firstText)), new HoldUntilClientCloses())));
        String turn = api.send("a long story").json().path("turn_id").asText();
        feed.awaitDeltas(turn, 1);
        assertThat(api.cancel("stop").json().path("state").asText()).isEqualTo("cancelled");
        feed.awaitTurnEnd(turn);
        api.cancel("nothing to stop");

        api.status();
        api.transcript();
        api.workers();
        api.sendAndWait("");
        for (Answer answer : api.answers()) {
            seen.add(answer.status() + " " + headers(answer.headers()) + "\n" + answer.body());
        }
        for (Feed each : api.feeds()) {
            seen.add(headers(each.headers()));
            seen.add(each.raw());
            assertThat(each.raw()).contains("event: turn_failed", "event: turn_cancelled", "event: text_delta");
        }
        seen.add(stage.server.status().toString());
        seen.add(stage.server.toString());
    }

    /** The same provider options on the command line, in-process, with the key in the same map. */
    private void exerciseTheCommandLine(Wire wire) throws Exception {
        try (FakeProvider provider = new FakeProvider(Response.stream(wire.reply()))) {
            Launcher launcher = AppLaunchers.inMemory(Map.of(Stage.KEY_VARIABLE, CANARY));
            List<String> options = List.of("--provider", wire.source(), "--model", wire.model,
                    "--base-url", Stage.baseUrl(wire, provider).toString(), "--api-key-env", Stage.KEY_VARIABLE,
                    "--ephemeral");
            runCli(launcher, "status", options);
            runCli(launcher, "status", options, "--json");
            runCli(launcher, "workers", options);
            runCli(launcher, "transcript", options);
            runCli(launcher, "send", options, "hello");
            provider.then(Response.status(401, authFailure(wire)));
            runCli(launcher, "send", options, "hello");
            provider.then(Response.status(401, authFailure(wire)));
            runCli(launcher, "send", options, "--json", "hello");
            byte[] streamError = inStreamError(wire);
            provider.then(Response.stream(streamError), Response.stream(streamError), Response.stream(streamError));
            runCli(launcher, "send", options, "--json", "hello");
            assertThat(provider.received()).extracting(Received::headers)
                    .allSatisfy(headers -> assertThat(headers).containsEntry(wire.keyHeader, wire.keyPrefix + CANARY));
            // Someone pastes the key where the variable's name goes: it is refused without being echoed.
            runCli(launcher, "status", List.of("--provider", wire.source(), "--api-key-env", CANARY));
        }
    }

    /** Keys that cannot be used are refused by name, never by value. */
    private void exerciseConfigurationErrors() {
        Launcher launcher = AppLaunchers.inMemory(Map.of(Stage.KEY_VARIABLE, CANARY + " \u0007 " + CANARY));
        for (Wire wire : Wire.values()) {
            ProviderOptions options = new ProviderOptions(wire.choice, Optional.empty(), Optional.empty(),
                    Optional.of(Stage.KEY_VARIABLE), Optional.empty());
            assertThatExceptionOfType(CompanionException.class)
                    .isThrownBy(() -> launcher.open(new ConnectOptions(Optional.empty(), options,
                            new StorageOptions(Optional.empty(), true), Optional.empty())))
                    .satisfies(e -> {
                        seen.add(e.getMessage());
                        seen.add(e.toString());
                        seen.add(e.diagnostic().toString());
                    });
        }
    }

    private void runCli(Launcher launcher, String command, List<String> options, String... more) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var commandLine = CompanionCommandLine.create(launcher, "test", new ByteArrayInputStream(new byte[0]));
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        List<String> args = new ArrayList<>();
        args.add(command);
        args.addAll(options);
        args.addAll(List.of(more));
        commandLine.execute(args.toArray(String[]::new));
        seen.add(out.toString());
        seen.add(err.toString());
    }

    private static byte[] authFailure(Wire wire) {
        return FakeProvider.fixture(wire == Wire.OPENAI ? "openai/error-invalid-api-key.json"
                : "anthropic/error-authentication.json", CANARY);
    }

    /** An error event inside a 200 stream that echoes the key. */
    private static byte[] inStreamError(Wire wire) {
        if (wire == Wire.ANTHROPIC) {
            return FakeProvider.fixture("anthropic/messages-stream-error-before-text.sse", CANARY);
        }
        return ("data: {\"error\": {\"message\": \"The server had an error processing your request for key "
                + CANARY + "\", \"type\": \"server_error\", \"param\": null, \"code\": null}}\n\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static String headers(HttpHeaders headers) {
        return headers.map().toString();
    }

    /** Writes to the real stream and to the capture. */
    private static final class Tee extends java.io.OutputStream {
        private final java.io.OutputStream first;
        private final ByteArrayOutputStream second;

        Tee(java.io.OutputStream first, ByteArrayOutputStream second) {
            this.first = first;
            this.second = second;
        }

        @Override
        public void write(int b) throws java.io.IOException {
            first.write(b);
            synchronized (second) {
                second.write(b);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws java.io.IOException {
            first.write(b, off, len);
            synchronized (second) {
                second.write(b, off, len);
            }
        }

        @Override
        public void flush() throws java.io.IOException {
            first.flush();
        }
    }
}
