package dev.companion.adapter.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.core.model.CompanionException;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.ConversationNotFoundException;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.InvalidRequestException;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The client's side of the wire: requests to one server with its token, answers as JSON, and
 * failures mapped in one place to the core's exceptions. A server that does not answer is
 * {@code server_unreachable}; a refusal carries the server's own diagnostic.
 */
final class HttpTransport {

    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final AtomicInteger READERS = new AtomicInteger();

    /** An answer: its status and its body as JSON (null when it had none, or not JSON). */
    record Answer(int status, JsonNode body) {
    }

    private final URI base;
    private final Optional<String> authorization;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(10)).build();

    HttpTransport(URI base, Optional<String> accessToken) {
        String scheme = base.getScheme();
        if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || base.getHost() == null) {
            throw new IllegalArgumentException("The server address must be an http:// URL with a host.");
        }
        this.base = URI.create(base.toString().endsWith("/") ? base.toString() : base + "/");
        this.authorization = accessToken.map(token -> "Bearer " + token);
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(REQUEST_TIMEOUT);
        authorization.ifPresent(value -> request.header("Authorization", value));
        return request;
    }

    Answer get(String path) {
        return call(request(path).GET().build());
    }

    Answer post(String path, String json) {
        return send("POST", path, json);
    }

    Answer patch(String path, String json) {
        return send("PATCH", path, json);
    }

    Answer delete(String path) {
        return call(request(path).DELETE().build());
    }

    private Answer send(String method, String path, String json) {
        return call(request(path).header("Content-Type", Responses.JSON_UTF8)
                .method(method, HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8)).build());
    }

    private Answer call(HttpRequest request) {
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Answer(response.statusCode(), parse(response.body()));
        } catch (IOException e) {
            throw unreachable();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted();
        }
    }

    /** The body of an answer with this status, else the answer's failure. */
    JsonNode expect(Answer answer, int status, Optional<ConversationId> conversation) {
        if (answer.status() != status || answer.body() == null) {
            throw failure(answer, conversation);
        }
        return answer.body();
    }

    /**
     * Opens an event stream at {@code pathAndQuery}, resuming after {@code cursor}. The request
     * timeout bounds the wait for the answer's head; the stream itself may last.
     */
    EventFrameReader openEvents(String pathAndQuery, long cursor, Optional<ConversationId> conversation) {
        HttpRequest request = request(pathAndQuery).header("Accept", "text/event-stream")
                .header("Last-Event-ID", Long.toString(cursor)).GET().build();
        HttpResponse<InputStream> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw unreachable();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted();
        }
        if (response.statusCode() != 200) {
            String body;
            try (InputStream in = response.body()) {
                body = new String(in.readNBytes(RequestBodies.MAX_BODY_BYTES), StandardCharsets.UTF_8);
            } catch (IOException e) {
                body = "";
            }
            throw failure(new Answer(response.statusCode(), parse(body)), conversation);
        }
        return new EventFrameReader(response.body(), "companion-http-events-" + READERS.incrementAndGet());
    }

    static String readerName() {
        return "companion-http-subscription-" + READERS.incrementAndGet();
    }

    private static JsonNode parse(String body) {
        try {
            return body == null || body.isBlank() ? null : Json.read(body);
        } catch (Rejection notJson) {
            return null;
        }
    }

    /**
     * The server's own diagnostic as an exception: an unknown conversation as
     * {@link ConversationNotFoundException}, rejected input as {@link InvalidRequestException}, the
     * rest as {@link CompanionException} with the server's state.
     */
    static CompanionException failure(Answer answer, Optional<ConversationId> conversation) {
        JsonNode body = answer.body();
        int status = answer.status();
        if (body != null && !WireReader.diagnostics(body).isEmpty()) {
            Diagnostic diagnostic = WireReader.diagnostics(body).get(0);
            CompanionState state = WireReader.state(body.path("state"));
            if (status == 404 && diagnostic.code() == DiagnosticCode.CONVERSATION_NOT_FOUND) {
                return new ConversationNotFoundException(conversation.orElse(ConversationId.DEFAULT));
            }
            if (state == CompanionState.REJECTED && (status == 400 || status == 413 || status == 415 || status == 422)) {
                return new InvalidRequestException(diagnostic);
            }
            return new CompanionException(state, diagnostic);
        }
        return new CompanionException(CompanionState.ERROR, Diagnostic.error(DiagnosticCode.INTERNAL_ERROR,
                "The server answered " + status + " without a diagnostic."));
    }

    private CompanionException unreachable() {
        return new CompanionException(CompanionState.ERROR, Diagnostic.error(DiagnosticCode.SERVER_UNREACHABLE,
                "No Companion server answers at " + base.getScheme() + "://" + base.getHost()
                        + (base.getPort() < 0 ? "" : ":" + base.getPort()) + "."));
    }

    private static CompanionException interrupted() {
        return new CompanionException(CompanionState.ERROR, Diagnostic.error(DiagnosticCode.INTERNAL_ERROR,
                "The request to the server was interrupted."));
    }
}
