package dev.companion.app.console;

import dev.companion.adapter.http.CompanionHttpServer;
import dev.companion.core.event.CompanionEvent;
import dev.companion.core.event.EventListener;
import dev.companion.core.event.Subscription;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TranscriptQuery;
import dev.companion.core.port.TranscriptStore;
import dev.companion.prompts.ClasspathPromptCatalog;
import dev.companion.runtime.CompanionRuntime;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The real runtime and HTTP server with the real console files, in front of a model the test holds.
 * One per test, on an ephemeral port, so every test starts from an empty transcript and a fresh
 * browser origin (the draft lives in the origin's localStorage).
 */
final class ScriptedConsoleServer implements AutoCloseable {

    final HeldProviderModel model = new HeldProviderModel();
    final CompanionRuntime runtime;
    final CompanionHttpServer server;
    final int port;

    private ScriptedConsoleServer(String host, int port, TranscriptStore store) {
        CompanionRuntime.Builder builder = CompanionRuntime.builder().prompts(new ClasspathPromptCatalog())
                .model(model).turnTimeout(Duration.ofMinutes(2));
        if (store != null) {
            builder.store(store);
        }
        this.runtime = builder.build();
        this.server = CompanionHttpServer.builder().conversations(runtime.conversations()).workers(runtime)
                .host(host).port(port).console(getClass().getClassLoader(), "console/").build();
        this.port = server.start();
    }

    static ScriptedConsoleServer start() {
        return new ScriptedConsoleServer("127.0.0.1", 0, null);
    }

    /** A new server where an earlier one was: what a browser sees when the server restarts. */
    static ScriptedConsoleServer restartOn(int port) {
        return new ScriptedConsoleServer("127.0.0.1", port, null);
    }

    /** Bound to another loopback address, so a proxy can take 127.0.0.1 on the same port. */
    static ScriptedConsoleServer startOn(String host) {
        return new ScriptedConsoleServer(host, 0, null);
    }

    static ScriptedConsoleServer startWith(TranscriptStore store) {
        return new ScriptedConsoleServer("127.0.0.1", 0, store);
    }

    URI console() {
        return server.baseUri().resolve("/console");
    }

    /** The stored transcript, newest page, as the runtime has it (not as the browser shows it). */
    List<TranscriptItem> transcript() {
        return runtime.companion().transcript(TranscriptQuery.newest(TranscriptQuery.MAX_LIMIT)).items();
    }

    /** Streams a piece and waits until the runtime has published it as an event. */
    void emitAndAwaitPublished(String piece) throws InterruptedException {
        CountDownLatch published = new CountDownLatch(1);
        try (Subscription subscription = runtime.companion().subscribe(runtime.companion().latestCursor(),
                new EventListener() {
                    @Override
                    public void onEvent(CompanionEvent event) {
                        if (event instanceof CompanionEvent.TextDelta delta && delta.text().equals(piece)) {
                            published.countDown();
                        }
                    }
                })) {
            model.emit(piece);
            if (!published.await(20, TimeUnit.SECONDS)) {
                throw new AssertionError("the piece was not published within 20 seconds");
            }
        }
    }

    @Override
    public void close() {
        server.close();
        runtime.close();
    }
}
