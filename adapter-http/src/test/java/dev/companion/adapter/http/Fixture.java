package dev.companion.adapter.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.core.Companion;
import dev.companion.core.ConversationPage;
import dev.companion.core.ConversationQuery;
import dev.companion.core.Conversations;
import dev.companion.core.CreateConversationCommand;
import dev.companion.core.DeleteResult;
import dev.companion.core.RenameConversationCommand;
import dev.companion.core.event.EventReplay;
import dev.companion.core.model.Conversation;
import dev.companion.core.model.ConversationId;
import dev.companion.core.ListWorkersUseCase;
import dev.companion.core.event.CompanionEvent;
import dev.companion.core.event.EventListener;
import dev.companion.core.event.Subscription;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;
import dev.companion.core.port.HeldLanguageModel;
import dev.companion.core.port.LanguageModel;
import dev.companion.core.port.TranscriptStore;
import dev.companion.prompts.ClasspathPromptCatalog;
import dev.companion.runtime.CompanionRuntime;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A real runtime behind a real server on an ephemeral port, and a real HTTP client. Every response
 * the client gets is kept, so a test can check properties of all of them at the end.
 */
final class Fixture implements AutoCloseable {

    final HeldLanguageModel model = new HeldLanguageModel();
    final CompanionRuntime runtime;
    final Companion companion;
    final CompanionHttpServer server;
    final int port;
    final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(10)).build();
    final List<HttpResponse<String>> responses = new ArrayList<>();

    private Fixture(Optional<LanguageModel> model, Optional<TranscriptStore> store,
                    UnaryOperator<Companion> wrap, UnaryOperator<CompanionHttpServer.Builder> configure) {
        this(model, store, wrap, configure, UnaryOperator.identity());
    }

    private Fixture(Optional<LanguageModel> model, Optional<TranscriptStore> store,
                    UnaryOperator<Companion> wrap, UnaryOperator<CompanionHttpServer.Builder> configure,
                    UnaryOperator<CompanionRuntime.Builder> runtimeSettings) {
        CompanionRuntime.Builder builder = CompanionRuntime.builder().prompts(new ClasspathPromptCatalog())
                .model(model.orElse(this.model)).turnTimeout(Duration.ofMinutes(2));
        store.ifPresent(builder::store);
        this.runtime = runtimeSettings.apply(builder).build();
        this.companion = wrap.apply(runtime.companion());
        ListWorkersUseCase workers = runtime;
        // Sends run on the runtime's sending threads, as the launcher wires them; a test may say otherwise.
        this.server = configure.apply(CompanionHttpServer.builder()
                .conversations(new DefaultWrapped(runtime.conversations(), wrap)).workers(workers)
                .sendingThreads(runtime.sendingThreads())
                .console(Fixture.class.getClassLoader(), "test-console/")).build();
        this.port = server.start();
    }

    static Fixture start() {
        return new Fixture(Optional.empty(), Optional.empty(), UnaryOperator.identity(), UnaryOperator.identity());
    }

    static Fixture withModel(LanguageModel model) {
        return new Fixture(Optional.of(model), Optional.empty(), UnaryOperator.identity(), UnaryOperator.identity());
    }

    static Fixture withModelConfigured(LanguageModel model, UnaryOperator<CompanionHttpServer.Builder> configure) {
        return new Fixture(Optional.of(model), Optional.empty(), UnaryOperator.identity(), configure);
    }

    static Fixture withStore(TranscriptStore store) {
        return new Fixture(Optional.empty(), Optional.of(store), UnaryOperator.identity(), UnaryOperator.identity());
    }

    static Fixture wrapping(UnaryOperator<Companion> wrap) {
        return new Fixture(Optional.empty(), Optional.empty(), wrap, UnaryOperator.identity());
    }

    static Fixture configured(UnaryOperator<CompanionHttpServer.Builder> configure) {
        return new Fixture(Optional.empty(), Optional.empty(), UnaryOperator.identity(), configure);
    }

    /** A runtime configured further, e.g. with fewer turns allowed at once. */
    static Fixture withRuntime(UnaryOperator<CompanionRuntime.Builder> runtimeSettings) {
        return new Fixture(Optional.empty(), Optional.empty(), UnaryOperator.identity(), UnaryOperator.identity(),
                runtimeSettings);
    }

    URI uri(String pathAndQuery) {
        return server.baseUri().resolve(pathAndQuery);
    }

    HttpResponse<String> get(String path, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).GET().timeout(Duration.ofSeconds(30));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return send(request.build());
    }

    HttpResponse<String> postJson(String path, String json, String... headers) {
        return post(path, "application/json", json.getBytes(StandardCharsets.UTF_8), headers);
    }

    HttpResponse<String> post(String path, String contentType, byte[] body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).timeout(Duration.ofSeconds(30));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        if (headers.length > 0) {
            request.headers(headers);
        }
        return send(request.build());
    }

    HttpResponse<String> patchJson(String path, String json, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(json)).timeout(Duration.ofSeconds(30));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return send(request.build());
    }

    /** Creates a conversation over the API and returns its id (it must be created). */
    String createConversation(String json) {
        HttpResponse<String> response = json == null ? post("/api/conversations", null, new byte[0])
                : postJson("/api/conversations", json);
        if (response.statusCode() != 201) {
            throw new AssertionError("expected 201, got " + response.statusCode() + " " + response.body());
        }
        return json(response).at("/conversation/id").asText();
    }

    HttpResponse<String> method(String method, String path, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return send(request.build());
    }

    HttpResponse<String> send(HttpRequest request) {
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            synchronized (responses) {
                responses.add(response);
            }
            return response;
        } catch (Exception e) {
            throw new AssertionError("request failed: " + request.method() + " " + request.uri(), e);
        }
    }

    /** Sends a message and returns its turn id (the message must be accepted). */
    TurnId sendMessage(String content) {
        HttpResponse<String> response = postJson("/api/companion/messages", Json.write(java.util.Map.of("content", content)));
        if (response.statusCode() != 202) {
            throw new AssertionError("expected 202, got " + response.statusCode() + " " + response.body());
        }
        return new TurnId(json(response).get("turn_id").asText());
    }

    /** Waits (with a deadline) for the turn to end in the runtime. */
    TurnOutcome awaitTurn(TurnId turn) throws InterruptedException {
        return runtime.companion().awaitTurn(turn, Duration.ofSeconds(30))
                .orElseThrow(() -> new AssertionError("turn " + turn + " did not end within 30 seconds"));
    }

    /** Completes a turn with a scripted reply, through the API. */
    TurnOutcome exchange(String message, String... reply) throws InterruptedException {
        model.script(reply);
        return awaitTurn(sendMessage(message));
    }

    /** Streams a piece of the running reply and waits until the runtime has published it. */
    void emitAndAwait(String piece) throws InterruptedException {
        CountDownLatch published = new CountDownLatch(1);
        Companion runtimeCompanion = runtime.companion();
        try (Subscription subscription = runtimeCompanion.subscribe(runtimeCompanion.latestCursor(), new EventListener() {
            @Override
            public void onEvent(CompanionEvent event) {
                if (event instanceof CompanionEvent.TextDelta delta && delta.text().equals(piece)) {
                    published.countDown();
                }
            }
        })) {
            model.emit(piece);
            if (!published.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("the piece was not published within 10 seconds");
            }
        }
    }

    /** The runtime's conversations, with the default one as the test wraps it. */
    private record DefaultWrapped(Conversations delegate, UnaryOperator<Companion> wrap) implements Conversations {
        @Override
        public Conversation create(CreateConversationCommand command) {
            return delegate.create(command);
        }

        @Override
        public ConversationPage list(ConversationQuery query) {
            return delegate.list(query);
        }

        @Override
        public Optional<Conversation> get(ConversationId id) {
            return delegate.get(id);
        }

        @Override
        public Conversation rename(RenameConversationCommand command) {
            return delegate.rename(command);
        }

        @Override
        public DeleteResult delete(ConversationId id) {
            return delegate.delete(id);
        }

        @Override
        public Companion open(ConversationId id) {
            Companion opened = delegate.open(id);
            return id.equals(ConversationId.DEFAULT) ? wrap.apply(opened) : opened;
        }

        @Override
        public long latestCursor() {
            return delegate.latestCursor();
        }

        @Override
        public EventReplay eventsAfter(long cursor, int max) {
            return delegate.eventsAfter(cursor, max);
        }

        @Override
        public Subscription subscribe(long cursor, EventListener listener) {
            return delegate.subscribe(cursor, listener);
        }
    }

    static JsonNode json(HttpResponse<String> response) {
        return Json.read(response.body());
    }

    /**
     * Stops the server and the runtime, then holds every answer the test received to the rules of
     * every answer (safe headers, no leak) and to the OpenAPI document: each must be an answer the
     * document describes, in the shape it gives.
     */
    @Override
    public void close() {
        server.close();
        runtime.close();
        List<HttpResponse<String>> received;
        synchronized (responses) {
            received = List.copyOf(responses);
        }
        ResponseRules.assertEverySafe(received, (what, response) -> { });
        OpenApiContract contract = OpenApiContract.load();
        for (HttpResponse<String> response : received) {
            contract.assertMatches(response);
        }
    }
}
