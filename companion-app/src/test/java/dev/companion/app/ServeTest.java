package dev.companion.app;

import dev.companion.adapter.cli.CompanionCommandLine.ProviderChoice;
import dev.companion.adapter.cli.CompanionCommandLine.ProviderOptions;
import dev.companion.adapter.cli.CompanionCommandLine.RunningServer;
import dev.companion.adapter.cli.CompanionCommandLine.ServeOptions;
import dev.companion.adapter.cli.CompanionCommandLine.StorageOptions;
import dev.companion.core.model.CompanionException;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.prompts.ClasspathPromptCatalog;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** The composition root serves the API and the console from one process, on safe defaults. */
class ServeTest {

    private final ClasspathPromptCatalog prompts = new ClasspathPromptCatalog();
    private final CompanionLauncher launcher = new CompanionLauncher(prompts,
            new ModelSelection(Map.of(), prompts, () -> false), CompanionLauncher.Storage.inMemory());
    private final HttpClient http = HttpClient.newHttpClient();

    private static ServeOptions onPort(String host, int port) {
        return new ServeOptions(host, port, new ProviderOptions(ProviderChoice.AUTO, Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty()), new StorageOptions(Optional.empty(), true), Optional.empty());
    }

    @Test
    void serve_starts_the_api_and_the_console_on_loopback() throws Exception {
        try (RunningServer server = launcher.serve(onPort("127.0.0.1", 0))) {
            URI console = server.consoleUri();
            assertThat(console.getHost()).isEqualTo("127.0.0.1");
            assertThat(console.getPath()).isEqualTo("/console");

            HttpResponse<String> page = http.send(HttpRequest.newBuilder(console).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("<title>");

            HttpResponse<String> status = http.send(HttpRequest.newBuilder(console.resolve("/api/companion/status"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(status.statusCode()).isEqualTo(200);
            assertThat(status.body()).contains("\"kind\":\"offline\"").contains("\"live\":false");
            assertThat(server.status().provider().reason().orElseThrow()).startsWith("auto:");
        }
    }

    @Test
    void a_busy_port_is_a_typed_error_not_a_stack_trace() {
        try (RunningServer first = launcher.serve(onPort("127.0.0.1", 0))) {
            int taken = first.consoleUri().getPort();
            assertThatExceptionOfType(CompanionException.class)
                    .isThrownBy(() -> launcher.serve(onPort("127.0.0.1", taken)))
                    .satisfies(e -> assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.PORT_IN_USE));
        }
    }

    @Test
    void max_event_streams_limits_the_open_streams_and_one_more_is_503() throws Exception {
        ServeOptions defaults = onPort("127.0.0.1", 0);
        ServeOptions oneStream = new ServeOptions(defaults.host(), defaults.port(), defaults.provider(),
                defaults.storage(), defaults.accessTokenFile(), defaults.maxRunningTurns(), OptionalInt.of(1));
        try (RunningServer server = launcher.serve(oneStream)) {
            URI events = server.consoleUri().resolve("/api/companion/events");
            HttpResponse<InputStream> first = http.send(HttpRequest.newBuilder(events).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream open = first.body()) {
                assertThat(first.statusCode()).isEqualTo(200);
                assertThat(new String(open.readNBytes(13), StandardCharsets.UTF_8)).isEqualTo("retry: 2000\n\n");

                HttpResponse<String> second = http.send(HttpRequest.newBuilder(events).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(second.statusCode()).isEqualTo(503);
                assertThat(second.body()).contains("event_streams_full");
            }
        }
    }

    @Test
    void binding_beyond_loopback_without_an_access_token_is_refused() {
        assertThatExceptionOfType(CompanionException.class)
                .isThrownBy(() -> launcher.serve(onPort("0.0.0.0", 0)))
                .satisfies(e -> assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.INVALID_PARAMETER));
    }
}
