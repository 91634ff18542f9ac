package dev.companion.adapter.cli;

import dev.companion.adapter.cli.CompanionCommandLine.DataDirectoryHeldException;
import dev.companion.adapter.cli.CompanionCommandLine.ExitCodes;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** The hint for a held data directory names the server that holds it, and only an address fit to print. */
class FailuresTest {

    private static final Diagnostic LOCKED = Diagnostic.error(DiagnosticCode.DATA_DIRECTORY_LOCKED,
            "Another Companion server is using this data directory.");

    private final RuntimeLauncher launcher = RuntimeLauncher.offline();

    @AfterEach
    void close() {
        launcher.close();
    }

    private Cli.Run heldBy(String url, String... args) {
        launcher.failure = () -> new DataDirectoryHeldException(LOCKED, Optional.ofNullable(url).map(URI::create));
        return Cli.run(launcher, args);
    }

    @Test
    void a_client_command_is_told_the_holders_address_for_url() {
        Cli.Run run = heldBy("http://127.0.0.1:9000", "send", "hello");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.DATA_DIRECTORY_LOCKED);
        assertThat(run.errLines()).containsExactly(
                "error: Another Companion server is using this data directory. (data_directory_locked)",
                "hint: the Companion server at http://127.0.0.1:9000 holds this data directory; talk to it: add --url "
                        + "http://127.0.0.1:9000 (e.g. 'companion send --url http://127.0.0.1:9000'), "
                        + "or choose another with --data-dir or --ephemeral");
    }

    @Test
    void serve_is_told_where_the_console_already_is() {
        Cli.Run run = heldBy("http://[::1]:8765", "serve");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.DATA_DIRECTORY_LOCKED);
        assertThat(run.errLines()[1]).startsWith("hint: the Companion server at http://[::1]:8765 already serves "
                + "this data directory: open http://[::1]:8765/console");
    }

    @Test
    void a_subcommand_is_named_as_typed_in_the_example() {
        Cli.Run run = heldBy("http://127.0.0.1:9000", "conversations", "new");

        assertThat(run.errLines()[1]).contains("(e.g. 'companion conversations new --url http://127.0.0.1:9000')");
    }

    @Test
    void only_scheme_host_and_port_are_shown_never_a_token_or_a_path() {
        Cli.Run run = heldBy("https://user:s3cret@example.test:8443/some/where?token=abc", "status");

        assertThat(run.errLines()[1]).contains("https://example.test:8443").doesNotContain("s3cret")
                .doesNotContain("/some/where").doesNotContain("token");
    }

    @Test
    void an_address_that_is_not_http_is_not_shown() {
        Cli.Run run = heldBy("file:///home/someone/.local/share/companion", "status");

        assertThat(run.errLines()[1]).doesNotContain("file:").doesNotContain("/home")
                .contains("--url and the address it printed at start-up");
    }

    @Test
    void the_held_exception_carries_only_the_locked_code() {
        assertThatIllegalArgumentException().isThrownBy(() -> new DataDirectoryHeldException(
                Diagnostic.error(DiagnosticCode.PORT_IN_USE, "taken"), Optional.empty()));
    }
}
