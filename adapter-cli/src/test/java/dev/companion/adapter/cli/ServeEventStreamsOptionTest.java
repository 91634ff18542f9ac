package dev.companion.adapter.cli;

import dev.companion.adapter.cli.CompanionCommandLine.ExitCodes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code serve --max-event-streams N}: the limit of open event streams, the server's own when not given. */
class ServeEventStreamsOptionTest {

    private final RuntimeLauncher launcher = new RuntimeLauncher(new ScriptedModel(), Duration.ofMinutes(1));

    @AfterEach
    void close() {
        launcher.close();
    }

    @Test
    void serve_takes_max_event_streams_of_at_least_1_else_the_servers_default() {
        assertThat(Cli.run(launcher, "serve", "--port", "0").exitCode()).isZero();
        assertThat(Cli.run(launcher, "serve", "--port", "0", "--max-event-streams", "200").exitCode()).isZero();
        for (String value : List.of("0", "-3", "many")) {
            Cli.Run run = Cli.run(launcher, "serve", "--max-event-streams", value);
            assertThat(run.exitCode()).as(value).isEqualTo(ExitCodes.USAGE);
            assertThat(run.errLines()[0]).as(value).startsWith("error: ").contains("--max-event-streams");
        }

        assertThat(launcher.served).hasSize(2);
        assertThat(launcher.served.get(0).maxEventStreams()).isEmpty();
        assertThat(launcher.served.get(1).maxEventStreams()).hasValue(200);
        assertThat(Cli.run(launcher, "serve", "--help").out()).contains("--max-event-streams");
    }
}
