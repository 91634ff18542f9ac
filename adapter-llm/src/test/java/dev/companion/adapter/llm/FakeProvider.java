package dev.companion.adapter.llm;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A loopback provider on a real socket (port 0) that speaks HTTP/1.1 at byte level, so a test can
 * stream a fixture as chunks, cut the connection mid-stream, send headers then nothing, trickle, or
 * hold the connection open. Each request takes the next scripted response; when the script is used
 * up, the fallback answers if one was given (say, the provider's normal streamed reply, so "the next
 * message succeeds" needs no script), otherwise the last scripted response repeats.
 *
 * <p>Public, with the fixtures under {@code src/test/resources/fixtures}, so that companion-app's
 * end-to-end tests use this same fake through this module's test-jar.
 */
public final class FakeProvider implements AutoCloseable {

    /** One request as the provider saw it (header names lower case). */
    public record Received(String method, String path, Map<String, String> headers, String body) {
    }

    /** What the fake does, in order, once it has read a request. */
    public sealed interface Step permits Send, Pause, Await, End, Cut, HoldUntilClientCloses {
    }

    /** Sends bytes as one chunk. */
    public record Send(byte[] bytes) implements Step {
    }

    /** Waits, to simulate a slow provider (not to synchronise the test). */
    public record Pause(long millis) implements Step {
    }

    /**
     * Waits until the test opens the latch (say, once its sink or the app's event stream saw a
     * delta), so a cut that follows lands after the client consumed what came before it: the JDK
     * client drops bytes it has buffered but not yet handed out when the connection fails.
     */
    public record Await(CountDownLatch latch) implements Step {
    }

    /** Ends the body properly (the last chunk) and closes. */
    public record End() implements Step {
    }

    /** Drops the connection without ending the chunked body. */
    public record Cut() implements Step {
    }

    /** Sends nothing more; waits until the client closes the connection (a cancel reaching the provider). */
    public record HoldUntilClientCloses() implements Step {
    }

    /** A scripted response: a fixed body (errors), or the steps of a chunked 200 stream. */
    public record Response(int status, Map<String, String> headers, byte[] fixedBody, List<Step> steps) {

        /** A 200 stream that sends {@code sse} as one chunk and ends properly. */
        public static Response stream(byte[] sse) {
            return streaming(List.of(new Send(sse), new End()));
        }

        /** A 200 stream made of {@code steps}. */
        public static Response streaming(List<Step> steps) {
            return new Response(200, Map.of("Content-Type", "text/event-stream", "x-request-id", "req_fake_stream",
                    "request-id", "req_fake_stream"), null, steps);
        }

        /** A JSON answer with a fixed body; {@code headerPairs} adds headers such as {@code Retry-After}. */
        public static Response status(int status, byte[] json, String... headerPairs) {
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("Content-Type", "application/json");
            headers.put("x-request-id", "req_fake_" + status);
            headers.put("request-id", "req_fake_" + status);
            for (int i = 0; i + 1 < headerPairs.length; i += 2) {
                headers.put(headerPairs[i], headerPairs[i + 1]);
            }
            return new Response(status, headers, json, List.of());
        }
    }

    private final ServerSocket server = openLoopback();
    private final Deque<Response> script = new ConcurrentLinkedDeque<>();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final CountDownLatch clientClosed = new CountDownLatch(1);
    private final Response fallback;
    private volatile Response last;

    /** A fake whose last scripted response repeats once the script is used up. */
    public FakeProvider() {
        this.fallback = null;
        startAccepting();
    }

    /** A fake that answers with {@code fallback} whenever the script is used up. */
    public FakeProvider(Response fallback) {
        this.fallback = Objects.requireNonNull(fallback, "fallback");
        startAccepting();
    }

    private static ServerSocket openLoopback() {
        try {
            return new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void startAccepting() {
        Thread acceptor = new Thread(this::acceptLoop, "fake-provider-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The base URL with a path, e.g. {@code /v1} for OpenAI-compatible clients. */
    public URI baseUrl(String path) {
        return URI.create("http://127.0.0.1:" + server.getLocalPort() + path);
    }

    /** Appends responses to the script, one per request to come. */
    public FakeProvider then(Response... responses) {
        script.addAll(Arrays.asList(responses));
        return this;
    }

    /** Every request so far, in arrival order. */
    public List<Received> received() {
        return Collections.unmodifiableList(received);
    }

    /** Opens when the client has closed a connection the fake was holding open. */
    public CountDownLatch clientClosed() {
        return clientClosed;
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                sockets.add(socket);
                Thread handler = new Thread(() -> handle(socket), "fake-provider-conn");
                handler.setDaemon(true);
                handler.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void handle(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            Received request = readRequest(in);
            if (request == null) {
                return;
            }
            received.add(request);
            Response response = script.poll();
            if (response == null) {
                response = fallback != null ? fallback : last;
            } else {
                last = response;
            }
            if (response == null) {
                response = Response.status(500, "{}".getBytes(StandardCharsets.UTF_8));
            }
            respond(response, in, out);
        } catch (IOException e) {
            // The client went away; tests that care watch clientClosed().
        }
    }

    private void respond(Response response, InputStream in, OutputStream out) throws IOException {
        StringBuilder head = new StringBuilder("HTTP/1.1 " + response.status() + " " + reason(response.status()) + "\r\n");
        response.headers().forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
        head.append("Connection: close\r\n");
        if (response.fixedBody() != null) {
            head.append("Content-Length: ").append(response.fixedBody().length).append("\r\n\r\n");
            out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
            out.write(response.fixedBody());
            out.flush();
            return;
        }
        head.append("Transfer-Encoding: chunked\r\n\r\n");
        out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
        out.flush();
        for (Step step : response.steps()) {
            if (step instanceof Send send) {
                if (send.bytes().length > 0) {
                    out.write((Integer.toHexString(send.bytes().length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(send.bytes());
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
            } else if (step instanceof Pause pause) {
                try {
                    Thread.sleep(pause.millis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            } else if (step instanceof Await await) {
                try {
                    if (!await.latch().await(10, TimeUnit.SECONDS)) {
                        return;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            } else if (step instanceof End) {
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                return;
            } else if (step instanceof Cut) {
                return;
            } else if (step instanceof HoldUntilClientCloses) {
                // The request is fully read, so the next read ends only when the client closes.
                try {
                    while (in.read() >= 0) {
                        // discard
                    }
                } catch (IOException e) {
                    // reset by the client: closed as well
                }
                clientClosed.countDown();
                return;
            }
        }
    }

    private static Received readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream headBytes = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            headBytes.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String[] lines = headBytes.toString(StandardCharsets.UTF_8).split("\r\n");
        String[] requestLine = lines[0].split(" ");
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
            }
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        byte[] body = in.readNBytes(length);
        return new Received(requestLine[0], requestLine[1], headers, new String(body, StandardCharsets.UTF_8));
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 404 -> "Not Found";
            case 413 -> "Payload Too Large";
            case 422 -> "Unprocessable Entity";
            case 429 -> "Too Many Requests";
            case 500 -> "Internal Server Error";
            case 529 -> "Site Overloaded";
            default -> "Status";
        };
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : sockets) {
            socket.close();
        }
    }

    /** A fixture file's bytes, with {@code apiKey} put where an upstream would echo the key. */
    public static byte[] fixture(String name, String apiKey) {
        try (InputStream in = FakeProvider.class.getResourceAsStream("/fixtures/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + name);
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return text.replace("{{API_KEY}}", apiKey).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A fixture file's bytes, with a placeholder key where an upstream would echo one. */
    public static byte[] fixture(String name) {
        return fixture(name, "sk-not-a-real-key");
    }

    /**
     * A recorded response: an {@code .sse} fixture as a 200 stream sent in one chunk, or an
     * {@code .http} fixture (leading {@code #} comment lines, a status line, headers, a blank line,
     * the body) as that status with those headers and body. {@code apiKey} goes where an upstream
     * would echo the key.
     */
    public static Response recorded(String name, String apiKey) {
        byte[] bytes = fixture(name, apiKey);
        if (name.endsWith(".sse")) {
            return Response.stream(bytes);
        }
        if (!name.endsWith(".http")) {
            throw new IllegalArgumentException("a recorded response is an .sse or .http fixture: " + name);
        }
        String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n", -1);
        int at = 0;
        while (lines[at].startsWith("#")) {
            at++;
        }
        int status = Integer.parseInt(lines[at++].split(" ")[1]);
        List<String> headerPairs = new ArrayList<>();
        for (; !lines[at].isEmpty(); at++) {
            int colon = lines[at].indexOf(':');
            headerPairs.add(lines[at].substring(0, colon).trim());
            headerPairs.add(lines[at].substring(colon + 1).trim());
        }
        String body = String.join("\n", Arrays.asList(lines).subList(at + 1, lines.length)).strip();
        return Response.status(status, body.getBytes(StandardCharsets.UTF_8), headerPairs.toArray(String[]::new));
    }

    /** A recorded response with a placeholder key where an upstream would echo one. */
    public static Response recorded(String name) {
        return recorded(name, "sk-not-a-real-key");
    }

    /** An SSE fixture split into its events (each ends in a blank line), byte for byte. */
    public static List<byte[]> events(byte[] sse) {
        String text = new String(sse, StandardCharsets.UTF_8);
        List<byte[]> events = new ArrayList<>();
        int from = 0;
        int at;
        while ((at = text.indexOf("\n\n", from)) >= 0) {
            events.add(text.substring(from, at + 2).getBytes(StandardCharsets.UTF_8));
            from = at + 2;
        }
        if (from < text.length()) {
            events.add(text.substring(from).getBytes(StandardCharsets.UTF_8));
        }
        return events;
    }

    /** The first {@code count} events of an SSE fixture, as one byte array. */
    public static byte[] firstEvents(byte[] sse, int count) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        events(sse).stream().limit(count).forEach(out::writeBytes);
        return out.toByteArray();
    }
}
