package dev.companion.adapter.cli;

import dev.companion.adapter.cli.CompanionCommandLine.ConnectOptions;
import dev.companion.adapter.cli.CompanionCommandLine.Launcher;
import dev.companion.adapter.cli.CompanionCommandLine.RunningServer;
import dev.companion.adapter.cli.CompanionCommandLine.ServeOptions;
import dev.companion.adapter.cli.CompanionCommandLine.Session;
import dev.companion.core.Companion;
import dev.companion.core.Conversations;
import dev.companion.core.ListWorkersUseCase;
import dev.companion.core.model.CompanionStatus;
import dev.companion.core.port.LanguageModel;
import dev.companion.prompts.ClasspathPromptCatalog;
import dev.companion.runtime.CompanionRuntime;
import dev.companion.runtime.InMemoryTranscriptStore;
import dev.companion.runtime.OfflineLanguageModel;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * A launcher as the composition root would write it, over a real in-process runtime. The runtime is
 * shared by every command run through it, as a server's would be, so one test can hold a turn with
 * one command and see another answered busy.
 */
final class RuntimeLauncher implements Launcher, AutoCloseable {

    final CompanionRuntime runtime;
    final List<ConnectOptions> opened = new CopyOnWriteArrayList<>();
    final List<ServeOptions> served = new CopyOnWriteArrayList<>();
    volatile Supplier<RuntimeException> failure;
    /** What the composition root would name as chat's history file; none unless a test sets one. */
    volatile Path historyFile;

    RuntimeLauncher(LanguageModel model, Duration turnTimeout) {
        this.runtime = CompanionRuntime.builder()
                .prompts(new ClasspathPromptCatalog())
                .model(model)
                .store(new InMemoryTranscriptStore())
                .turnTimeout(turnTimeout)
                .build();
    }

    /** The offline model without its pause between words. */
    static RuntimeLauncher offline() {
        return new RuntimeLauncher(new OfflineLanguageModel(new ClasspathPromptCatalog(), Duration.ZERO),
                Duration.ofMinutes(1));
    }

    Companion companion() {
        return runtime.companion();
    }

    @Override
    public Session open(ConnectOptions options) {
        opened.add(options);
        if (failure != null) {
            throw failure.get();
        }
        return new Session() {
            @Override
            public Companion companion() {
                return runtime.companion();
            }

            @Override
            public Conversations conversations() {
                return runtime.conversations();
            }

            @Override
            public ListWorkersUseCase workers() {
                return runtime;
            }

            @Override
            public Optional<Path> chatHistoryFile() {
                return Optional.ofNullable(historyFile);
            }

            @Override
            public void close() {
                // The runtime outlives one command, like a server's.
            }
        };
    }

    @Override
    public RunningServer serve(ServeOptions options) {
        served.add(options);
        if (failure != null) {
            throw failure.get();
        }
        return new RunningServer() {
            @Override
            public URI consoleUri() {
                return URI.create("http://" + options.host() + ":" + options.port() + "/console");
            }

            @Override
            public CompanionStatus status() {
                return runtime.companion().status();
            }

            @Override
            public void awaitShutdown() {
                // Already stopped: the command prints what it prints and returns.
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public void close() {
        runtime.close();
    }
}
