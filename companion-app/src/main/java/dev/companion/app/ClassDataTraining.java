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
import dev.companion.core.model.TurnEnd;
import dev.companion.prompts.ClasspathPromptCatalog;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The training run the {@code companion} launcher makes once, under
 * {@code -XX:ArchiveClassesAtExit}, to write the class-data archive every later start maps instead
 * of loading and verifying its classes one by one. It serves exactly as a person starts it
 * ({@code serve --ephemeral} on a free port) once for each kind of model a person may use (an
 * OpenAI-compatible server, Anthropic, the offline model), and each time makes the requests a
 * browser or a script makes: status, the console, the list of conversations, then a reply streamed
 * on an open event stream, a reply waited for, the transcript. Then it stops the server.
 *
 * <p>The replies matter: a first reply loads the provider client, the event stream's writer and the
 * JSON they need, a few hundred classes that a start alone never touches. Archived, they make a
 * fresh server's first reply come about a tenth of a second sooner (BENCHMARKS.md).
 *
 * <p>The models answering are {@link TrainingProvider} on loopback and the offline model; the
 * environment is not read, so no key of the person's and no real provider is ever used. Nothing is
 * kept. Exits 0 when every request was answered as it should be.
 */
public final class ClassDataTraining {

    /** The environment the training's models are chosen from: a stand-in key for Anthropic, a fast offline model. */
    private static final Map<String, String> ENVIRONMENT = Map.of(
            ModelSelection.ANTHROPIC_KEY_ENV, "training-key",
            ModelSelection.OFFLINE_PAUSE_ENV, "1");
    private static final Duration ANSWER_LIMIT = Duration.ofSeconds(10);
    private static final Duration TURN_LIMIT = Duration.ofSeconds(30);

    private ClassDataTraining() {
    }

    public static void main(String[] args) {
        Main.quietLibraries();
        System.exit(run() ? 0 : 1);
    }

    /** Serves, asks, stops, once per kind of model; true when every request was answered as it should be. */
    static boolean run() {
        try (TrainingProvider provider = TrainingProvider.start()) {
            return serve("--provider", "openai", "--base-url", provider.openAiBaseUrl().toString(), "--model", "training")
                    && serve("--provider", "anthropic", "--base-url", provider.anthropicBaseUrl().toString(),
                            "--model", "training")
                    && serve("--provider", "offline");
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean serve(String... model) {
        ClasspathPromptCatalog prompts = new ClasspathPromptCatalog();
        CompanionLauncher real = new CompanionLauncher(prompts, new ModelSelection(ENVIRONMENT, prompts, () -> false),
                CompanionLauncher.Storage.inMemory(), new SharedStore(Map.of()));
        TrainingLauncher launcher = new TrainingLauncher(real);
        List<String> args = new ArrayList<>(List.of("serve", "--ephemeral", "--port", "0"));
        args.addAll(List.of(model));
        int exit = CompanionCommandLine.run(launcher, Main.version(), args.toArray(String[]::new));
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
        try {
            for (String path : new String[] {"/api/companion/status", "/console", "/api/conversations"}) {
                if (status(client, get(console, path)) != 200) {
                    return false;
                }
            }
            try (TurnEnds stream = TurnEnds.open(client, console.resolve("/api/companion/events"))) {
                if (status(client, post(console, "/api/companion/messages", "Hello.")) != 202 || !stream.awaitCompleted()) {
                    return false;
                }
            }
            HttpResponse<String> waited = client.send(post(console, "/api/companion/messages?wait=true", "Once more."),
                    HttpResponse.BodyHandlers.ofString());
            return waited.statusCode() == 200
                    && waited.body().contains("\"outcome\":\"" + TurnEnd.COMPLETED.wireName() + "\"")
                    && status(client, get(console, "/api/companion/transcript")) == 200;
        } catch (IOException | ExecutionException | TimeoutException e) {
            return false;
        }
    }

    private static HttpRequest get(URI console, String path) {
        return HttpRequest.newBuilder(console.resolve(path)).timeout(ANSWER_LIMIT).build();
    }

    private static HttpRequest post(URI console, String path, String content) {
        return HttpRequest.newBuilder(console.resolve(path)).timeout(TURN_LIMIT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"" + content + "\"}"))
                .build();
    }

    private static int status(HttpClient client, HttpRequest request) throws IOException, InterruptedException {
        return client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /**
     * An open event stream that watches for a reply's end. Read by the client's own threads and
     * waited for with a deadline, so that a stream that never says it cannot hold the training up.
     */
    private static final class TurnEnds implements Flow.Subscriber<String>, AutoCloseable {
        private static final String COMPLETED = "event: " + TurnEnd.COMPLETED.eventName();

        private final CompletableFuture<Flow.Subscription> opened = new CompletableFuture<>();
        private final CompletableFuture<Void> completed = new CompletableFuture<>();

        /** Returns once the server has answered with the stream: from then on, every event reaches it. */
        static TurnEnds open(HttpClient client, URI events)
                throws InterruptedException, ExecutionException, TimeoutException {
            TurnEnds stream = new TurnEnds();
            client.sendAsync(HttpRequest.newBuilder(events).build(), HttpResponse.BodyHandlers.fromLineSubscriber(stream));
            stream.opened.get(ANSWER_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
            return stream;
        }

        boolean awaitCompleted() throws InterruptedException, ExecutionException, TimeoutException {
            completed.get(TURN_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
            opened.complete(subscription);
        }

        @Override
        public void onNext(String line) {
            if (line.equals(COMPLETED)) {
                completed.complete(null);
            }
        }

        @Override
        public void onError(Throwable failure) {
            completed.completeExceptionally(failure);
        }

        @Override
        public void onComplete() {
            completed.completeExceptionally(new IOException("the event stream ended before the reply did"));
        }

        @Override
        public void close() {
            opened.thenAccept(Flow.Subscription::cancel);
        }
    }
}
