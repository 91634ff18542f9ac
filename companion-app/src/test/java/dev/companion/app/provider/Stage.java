package dev.companion.app.provider;

import dev.companion.adapter.cli.CompanionCommandLine.Launcher;
import dev.companion.adapter.cli.CompanionCommandLine.ProviderChoice;
import dev.companion.adapter.cli.CompanionCommandLine.ProviderOptions;
import dev.companion.adapter.cli.CompanionCommandLine.RunningServer;
import dev.companion.adapter.cli.CompanionCommandLine.ServeOptions;
import dev.companion.adapter.cli.CompanionCommandLine.StorageOptions;
import dev.companion.adapter.llm.FakeProvider;
import dev.companion.app.AppLaunchers;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One end-to-end setup: a loopback fake provider, and the real app server (through the launcher,
 * as {@code companion serve --provider … --base-url http://127.0.0.1:<fake>… --api-key-env …})
 * talking to it, with the key only in the environment map given to the model selection.
 */
final class Stage implements AutoCloseable {

    /** The variable the tests name with {@code --api-key-env}; it exists only in the test's map. */
    static final String KEY_VARIABLE = "COMPANION_E2E_KEY";

    /** Each provider's wire format as the fake speaks it. */
    enum Wire {
        OPENAI(ProviderChoice.OPENAI, "/v1", "gpt-4o-mini", "openai/chat-stream.sse", "/v1/chat/completions",
                "authorization", "Bearer "),
        ANTHROPIC(ProviderChoice.ANTHROPIC, "", "claude-sonnet-4-5", "anthropic/messages-stream.sse", "/v1/messages",
                "x-api-key", "");

        final ProviderChoice choice;
        final String basePath;
        final String model;
        final String replyFixture;
        final String endpoint;
        final String keyHeader;
        final String keyPrefix;

        Wire(ProviderChoice choice, String basePath, String model, String replyFixture, String endpoint,
             String keyHeader, String keyPrefix) {
            this.choice = choice;
            this.basePath = basePath;
            this.model = model;
            this.replyFixture = replyFixture;
            this.endpoint = endpoint;
            this.keyHeader = keyHeader;
            this.keyPrefix = keyPrefix;
        }

        /** The source the transcript records for a reply: the provider kind. */
        String source() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        byte[] reply() {
            return FakeProvider.fixture(replyFixture, "unused");
        }
    }

    /** The text the reply fixtures stream, in three pieces. */
    static final List<String> REPLY_DELTAS = List.of("Hello", " there", ", friend!");

    final Wire wire;
    final String key;
    final FakeProvider provider;
    final RunningServer server;
    final AppClient api;

    private Stage(Wire wire, String key, FakeProvider provider, RunningServer server) {
        this.wire = wire;
        this.key = key;
        this.provider = provider;
        this.server = server;
        this.api = new AppClient(server.consoleUri().resolve("/"));
    }

    /** Starts the fake and the app on it; the key is in {@link #KEY_VARIABLE} of the environment map only. */
    static Stage start(Wire wire, String key) {
        FakeProvider provider = new FakeProvider(FakeProvider.Response.stream(wire.reply()));
        try {
            Launcher launcher = AppLaunchers.inMemory(Map.of(KEY_VARIABLE, key));
            RunningServer server = launcher.serve(new ServeOptions("127.0.0.1", 0, options(wire, provider),
                    new StorageOptions(Optional.empty(), true), Optional.empty()));
            return new Stage(wire, key, provider, server);
        } catch (RuntimeException e) {
            closeQuietly(provider);
            throw e;
        }
    }

    /** {@code --provider <wire> --model <m> --base-url http://127.0.0.1:<fake><path> --api-key-env KEY_VARIABLE}. */
    static ProviderOptions options(Wire wire, FakeProvider provider) {
        return new ProviderOptions(wire.choice, Optional.of(wire.model), Optional.of(baseUrl(wire, provider)),
                Optional.of(KEY_VARIABLE), Optional.empty());
    }

    static URI baseUrl(Wire wire, FakeProvider provider) {
        return provider.baseUrl(wire.basePath);
    }

    @Override
    public void close() {
        api.close();
        server.close();
        closeQuietly(provider);
    }

    private static void closeQuietly(FakeProvider provider) {
        try {
            provider.close();
        } catch (IOException e) {
            // the test is over
        }
    }
}
