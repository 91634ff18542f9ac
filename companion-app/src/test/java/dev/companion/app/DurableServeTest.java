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
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** With a data directory, the conversation is still there after the server stops and starts again. */
class DurableServeTest {

    @TempDir
    Path dataDir;

    private final ClasspathPromptCatalog prompts = new ClasspathPromptCatalog();
    private final CompanionLauncher launcher = new CompanionLauncher(prompts,
            // The offline model's quickest pace: the test is about what survives a restart, not the pace.
            new ModelSelection(Map.of(ModelSelection.OFFLINE_PAUSE_ENV, "1"), prompts, () -> false),
            CompanionLauncher.Storage.journal(Path.of("/nonexistent-default-never-used")));
    private final HttpClient http = HttpClient.newHttpClient();

    private ServeOptions serveOptions() {
        return new ServeOptions("127.0.0.1", 0, new ProviderOptions(ProviderChoice.OFFLINE, Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty()),
                new StorageOptions(Optional.of(dataDir), false), Optional.empty());
    }

    private HttpResponse<String> post(URI base, String path, String json) throws Exception {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(URI base, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void the_conversation_survives_a_restart() throws Exception {
        try (RunningServer server = launcher.serve(serveOptions())) {
            HttpResponse<String> reply = post(server.consoleUri(), "/api/companion/messages?wait=true",
                    "{\"content\":\"remember me\"}");
            assertThat(reply.statusCode()).isEqualTo(200);
            assertThat(reply.body()).contains("\"outcome\":\"completed\"");
        }
        try (RunningServer again = launcher.serve(serveOptions())) {
            String transcript = get(again.consoleUri(), "/api/companion/transcript").body();
            assertThat(transcript).contains("\"total_items\":2").contains("remember me")
                    .contains("\"status\":\"completed\"");
            assertThat(transcript).doesNotContain(dataDir.toString());
        }
    }

    @Test
    void a_command_refused_by_a_held_directory_is_told_which_server_holds_it_and_the_record_goes_with_the_server()
            throws Exception {
        URI holder;
        try (RunningServer first = launcher.serve(serveOptions())) {
            holder = first.consoleUri().resolve("/");
            assertThatExceptionOfType(dev.companion.adapter.cli.CompanionCommandLine.DataDirectoryHeldException.class)
                    .isThrownBy(() -> launcher.open(new dev.companion.adapter.cli.CompanionCommandLine.ConnectOptions(
                            Optional.empty(), serveOptions().provider(),
                            new StorageOptions(Optional.of(dataDir), false), Optional.empty())))
                    .satisfies(e -> {
                        assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.DATA_DIRECTORY_LOCKED);
                        assertThat(e.serverUrl()).isPresent();
                        assertThat(e.serverUrl().get().getPort()).isEqualTo(holder.getPort());
                        assertThat(e.getMessage()).doesNotContain(dataDir.toString());
                    });
            assertThat(ServerAddressFile.read(dataDir)).hasValueSatisfying(recorded -> {
                assertThat(recorded.getHost()).isEqualTo(holder.getHost());
                assertThat(recorded.getPort()).isEqualTo(holder.getPort());
            });
        }
        assertThat(dataDir.resolve(ServerAddressFile.NAME)).doesNotExist();
    }

    @Test
    void a_second_server_on_the_same_data_directory_is_refused() {
        try (RunningServer first = launcher.serve(serveOptions())) {
            assertThatExceptionOfType(CompanionException.class)
                    .isThrownBy(() -> launcher.serve(serveOptions()))
                    .satisfies(e -> {
                        assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.DATA_DIRECTORY_LOCKED);
                        assertThat(e.getMessage()).doesNotContain(dataDir.toString());
                    });
            assertThat(first.status().state().wireName()).isEqualTo("ready");
        }
    }

    @Test
    void the_default_data_directory_follows_xdg_then_home() {
        assertThat(CompanionLauncher.Storage.defaultDirectory(Map.of("XDG_DATA_HOME", "/data/x"), "/home/u"))
                .isEqualTo(Path.of("/data/x/companion"));
        assertThat(CompanionLauncher.Storage.defaultDirectory(Map.of(), "/home/u"))
                .isEqualTo(Path.of("/home/u/.local/share/companion"));
        assertThat(CompanionLauncher.Storage.defaultDirectory(Map.of("XDG_DATA_HOME", "relative"), "/home/u"))
                .isEqualTo(Path.of("/home/u/.local/share/companion"));
    }
}
