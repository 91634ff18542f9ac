package dev.companion.app;

import dev.companion.adapter.cli.CompanionCommandLine;
import dev.companion.adapter.cli.CompanionCommandLine.ProviderChoice;
import dev.companion.adapter.cli.CompanionCommandLine.ProviderOptions;
import dev.companion.adapter.cli.CompanionCommandLine.RunningServer;
import dev.companion.adapter.cli.CompanionCommandLine.ServeOptions;
import dev.companion.adapter.cli.CompanionCommandLine.StorageOptions;
import dev.companion.prompts.ClasspathPromptCatalog;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The CLI drives a running server with --url through the same commands as in-process. */
class RemoteModeTest {

    private final ClasspathPromptCatalog prompts = new ClasspathPromptCatalog();
    private final CompanionLauncher launcher = new CompanionLauncher(prompts,
            // The offline model's quickest pace: the test is about --url, not how fast a reply streams.
            new ModelSelection(Map.of(ModelSelection.OFFLINE_PAUSE_ENV, "1"), prompts, () -> false),
            CompanionLauncher.Storage.inMemory());

    private record Run(int exitCode, String out, String err) {
    }

    private Run run(String... args) {
        var commandLine = CompanionCommandLine.create(launcher, "test", new ByteArrayInputStream(new byte[0]));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int code = commandLine.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void send_status_workers_and_transcript_work_against_a_running_server() {
        try (RunningServer server = launcher.serve(new ServeOptions("127.0.0.1", 0, new ProviderOptions(
                ProviderChoice.OFFLINE, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty()),
                new StorageOptions(Optional.empty(), true), Optional.empty()))) {
            String url = "http://127.0.0.1:" + server.consoleUri().getPort();

            Run sent = run("send", "--url", url, "--json", "hello over http");
            assertThat(sent.exitCode()).as(sent.err()).isZero();
            assertThat(sent.out()).contains("\"state\"").contains("not from an LLM");

            Run status = run("status", "--url", url);
            assertThat(status.exitCode()).isZero();
            assertThat(status.out()).contains("offline");

            Run workers = run("workers", "--url", url, "--json");
            assertThat(workers.out()).contains("\"companion\"");

            Run transcript = run("transcript", "--url", url, "--json");
            assertThat(transcript.out()).contains("hello over http").contains("\"total_items\":2");
        }
    }

    @Test
    void a_server_that_is_not_there_is_one_line_and_exit_code_6() {
        Run run = run("status", "--url", "http://127.0.0.1:9");
        assertThat(run.exitCode()).isEqualTo(CompanionCommandLine.ExitCodes.UNAVAILABLE);
        assertThat(run.err()).contains("server_unreachable").doesNotContain("Exception").doesNotContain("\tat ");
    }
}
