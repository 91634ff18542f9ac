package dev.companion.adapter.cli;

import dev.companion.adapter.cli.CompanionCommandLine.ExitCodes;
import dev.companion.adapter.cli.CompanionCommandLine.Launcher;
import dev.companion.adapter.cli.CompanionCommandLine.RunningServer;
import dev.companion.adapter.cli.CompanionCommandLine.ServeOptions;
import dev.companion.core.model.CompanionStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Callable;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Start the Companion with its HTTP API and web console, and print the console's address.",
                "It listens on 127.0.0.1 unless told otherwise; binding beyond loopback needs --access-token-file.",
                "Stop it with Ctrl-C."},
        footerHeading = "%nExamples:%n",
        footer = {"  companion serve",
                "  companion serve --port 9000 --provider openai --model gpt-4o-mini --api-key-env OPENAI_API_KEY",
                "  companion serve --port 0 --ephemeral      # any free port, nothing kept",
                "  companion serve --max-running-turns 8     # up to 8 conversations answering at once",
                "  companion serve --max-event-streams 200   # at most 200 open event streams"})
final class ServeCommand implements Callable<Integer> {

    private final Launcher launcher;

    @Spec
    CommandSpec spec;

    @Option(names = "--host", paramLabel = "HOST", defaultValue = ServeOptions.DEFAULT_HOST,
            description = "The address to listen on (default: ${DEFAULT-VALUE}).")
    String host = ServeOptions.DEFAULT_HOST;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "" + ServeOptions.DEFAULT_PORT,
            description = "The port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port = ServeOptions.DEFAULT_PORT;

    @Option(names = "--access-token-file", paramLabel = "FILE",
            description = "A file holding the access token clients must present.")
    Path accessTokenFile;

    @Option(names = "--max-running-turns", paramLabel = "N", defaultValue = "" + ServeOptions.DEFAULT_MAX_RUNNING_TURNS,
            description = "How many replies may be written at once across all conversations; one more is "
                    + "refused as busy (1 to " + ServeOptions.MAX_RUNNING_TURNS + ", default: ${DEFAULT-VALUE}).")
    int maxRunningTurns = ServeOptions.DEFAULT_MAX_RUNNING_TURNS;

    @Option(names = "--max-event-streams", paramLabel = "N",
            description = "How many event streams (console tabs, curl -N, remote clients) may be open at once; "
                    + "one more is refused with 503 event_streams_full (default: 10000).")
    Integer maxEventStreams;

    @Mixin
    Options.Provider provider = new Options.Provider();

    @Mixin
    Options.Storage storage = new Options.Storage();

    ServeCommand(Launcher launcher) {
        this.launcher = launcher;
    }

    @Override
    public Integer call() {
        if (port < 0 || port > 65_535) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--port must be 0 to 65535");
        }
        if (host.isBlank()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--host must not be empty");
        }
        if (maxRunningTurns < 1 || maxRunningTurns > ServeOptions.MAX_RUNNING_TURNS) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--max-running-turns takes a whole number from 1 to " + ServeOptions.MAX_RUNNING_TURNS);
        }
        if (maxEventStreams != null && maxEventStreams < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--max-event-streams takes a whole number of at least 1");
        }
        ServeOptions options = new ServeOptions(host, port, provider.options(spec.commandLine()),
                storage.options(spec.commandLine()), Optional.ofNullable(accessTokenFile), maxRunningTurns,
                maxEventStreams == null ? OptionalInt.empty() : OptionalInt.of(maxEventStreams));
        PrintWriter out = spec.commandLine().getOut();
        try (RunningServer server = launcher.serve(options)) {
            out.println("Companion console: " + server.consoleUri());
            CompanionStatus status = server.status();
            if (!status.provider().live()) {
                // The status projection's own words, so the CLI says exactly what the console says.
                out.println(status.transport().limitation()
                        .or(status.provider()::reason)
                        .orElse("replies come from the " + status.provider().kind() + " model, not from an LLM"));
            }
            out.println("Press Ctrl-C to stop.");
            out.flush();
            server.awaitShutdown();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return ExitCodes.OK;
    }
}
