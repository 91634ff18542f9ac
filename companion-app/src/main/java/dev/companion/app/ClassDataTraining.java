package dev.companion.app;

import dev.companion.adapter.cli.CompanionCommandLine;
import dev.companion.adapter.cli.CompanionCommandLine.ConnectOptions;
import dev.companion.adapter.cli.CompanionCommandLine.Launcher;
import dev.companion.adapter.cli.CompanionCommandLine.RunningServer;
import dev.companion.adapter.cli.CompanionCommandLine.ServeOptions;
import dev.companion.adapter.cli.CompanionCommandLine.Session;
import dev.companion.adapter.cli.CompanionCommandLine.StoreImport;
import dev.companion.adapter.cli.CompanionCommandLine.StoreMigration;
import dev.companion.adapter.cli.CompanionCommandLine.StoreOptions;
import dev.companion.core.model.CompanionStatus;
import dev.companion.prompts.ClasspathPromptCatalog;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The training run the {@code companion} launcher makes once, under
 * {@code -XX:ArchiveClassesAtExit}, to write the class-data archive every later start maps instead
 * of loading and verifying its classes one by one: {@code serve --ephemeral} on a free port, exactly
 * as a person starts it, then the first requests a browser or a script makes (status, the console, the
 * list of conversations), then a clean stop. Nothing is kept and nothing outside the process is
 * reached but its own port. Exits 0 when the server answered.
 */
public final class ClassDataTraining {

    private ClassDataTraining() {
    }

    public static void main(String[] args) {
        Main.quietLibraries();
        System.exit(run() ? 0 : 1);
    }

    /** Serves, asks, stops; true when the command succeeded and every request was answered 200. */
    static boolean run() {
        ClasspathPromptCatalog prompts = new ClasspathPromptCatalog();
        CompanionLauncher real = new CompanionLauncher(prompts, ModelSelection.forThisMachine(prompts),
                CompanionLauncher.Storage.inMemory(), new SharedStore(Map.of()));
        TrainingLauncher launcher = new TrainingLauncher(real);
        int exit = CompanionCommandLine.run(launcher, Main.version(), "serve", "--ephemeral", "--port", "0",
                "--provider", "openai", "--base-url", "http://127.0.0.1:9/v1", "--model", "training");
        return exit == 0 && launcher.answered;
    }

    /** Serves as the real launcher does, but stops once the server has answered instead of waiting for Ctrl-C. */
    private static final class TrainingLauncher implements Launcher {
        private final Launcher real;
        private volatile boolean answered;

        TrainingLauncher(Launcher real) {
            this.real = real;
        }

        @Override
        public Session open(ConnectOptions options) {
            return real.open(options);
        }

        @Override
        public RunningServer serve(ServeOptions options) {
            RunningServer server = real.serve(options);
            return new RunningServer() {
                @Override
                public URI consoleUri() {
                    return server.consoleUri();
                }

                @Override
                public CompanionStatus status() {
                    return server.status();
                }

                @Override
                public void awaitShutdown() throws InterruptedException {
                    answered = exercise(server.consoleUri());
                }

                @Override
                public void close() {
                    server.close();
                }
            };
        }

        @Override
        public StoreMigration migrate(StoreOptions store) {
            return real.migrate(store);
        }

        @Override
        public StoreImport importJournal(Path dataDir, StoreOptions store) {
            return real.importJournal(dataDir, store);
        }
    }

    private static boolean exercise(URI console) throws InterruptedException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        boolean ok = true;
        for (String path : new String[] {"/api/companion/status", "/console", "/api/conversations"}) {
            try {
                HttpResponse<Void> response = client.send(HttpRequest.newBuilder(console.resolve(path))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding());
                ok &= response.statusCode() == 200;
            } catch (IOException e) {
                ok = false;
            }
        }
        return ok;
    }
}
