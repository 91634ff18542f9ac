package dev.companion.bench.overhead;

import io.undertow.Undertow;
import io.undertow.util.Headers;
import io.undertow.util.StatusCodes;
import org.xnio.Options;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An OpenAI-compatible Chat Completions server on loopback that answers every
 * {@code POST /v1/chat/completions} with the same reply streamed as {@value #PIECES} pieces, each
 * written and flushed on its own, with no delay between them, then a finish reason, the usage and
 * {@code [DONE]}. It keeps the last request body it was sent so that the floor can send the provider
 * exactly what the Companion sent.
 */
final class FakeProvider implements AutoCloseable {

    static final int PIECES = 20;

    private static final byte[][] CHUNKS = chunks();

    private final Undertow server;
    private final int port;
    private final AtomicReference<byte[]> lastRequest = new AtomicReference<>();

    FakeProvider() {
        // The answer uses the blocking API (one flush a piece), so it runs on a worker thread.
        server = Undertow.builder()
                .addHttpListener(0, "127.0.0.1")
                .setIoThreads(1)
                .setWorkerThreads(8)
                .setSocketOption(Options.TCP_NODELAY, true)
                .setHandler(exchange -> {
                    if (exchange.isInIoThread()) {
                        exchange.dispatch(this::answer);
                        return;
                    }
                    answer(exchange);
                })
                .build();
        server.start();
        this.port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
    }

    private void answer(io.undertow.server.HttpServerExchange exchange) throws IOException {
        exchange.startBlocking();
        byte[] body = exchange.getInputStream().readAllBytes();
        if (!exchange.getRequestPath().endsWith("/chat/completions")) {
            exchange.setStatusCode(StatusCodes.NOT_FOUND);
            exchange.endExchange();
            return;
        }
        lastRequest.set(body);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/event-stream");
        OutputStream out = exchange.getOutputStream();
        for (byte[] chunk : CHUNKS) {
            out.write(chunk);
            out.flush();
        }
        out.close();
    }

    int port() {
        return port;
    }

    String baseUrl() {
        return "http://127.0.0.1:" + port + "/v1";
    }

    /** The body of the last request, or null before the first. */
    byte[] lastRequest() {
        return lastRequest.get();
    }

    @Override
    public void close() {
        server.stop();
    }

    private static byte[][] chunks() {
        byte[][] chunks = new byte[PIECES + 3][];
        for (int i = 0; i < PIECES; i++) {
            chunks[i] = data("{\"id\":\"bench\",\"object\":\"chat.completion.chunk\",\"model\":\"bench\",\"choices\":[{\"index\":0,"
                    + "\"delta\":{" + (i == 0 ? "\"role\":\"assistant\"," : "") + "\"content\":\"piece" + i + " \"},\"finish_reason\":null}]}");
        }
        chunks[PIECES] = data("{\"id\":\"bench\",\"object\":\"chat.completion.chunk\",\"model\":\"bench\",\"choices\":[{\"index\":0,"
                + "\"delta\":{},\"finish_reason\":\"stop\"}]}");
        chunks[PIECES + 1] = data("{\"id\":\"bench\",\"object\":\"chat.completion.chunk\",\"model\":\"bench\",\"choices\":[],"
                + "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":20,\"total_tokens\":30}}");
        chunks[PIECES + 2] = data("[DONE]");
        return chunks;
    }

    private static byte[] data(String payload) {
        return ("data: " + payload + "\n\n").getBytes(StandardCharsets.UTF_8);
    }
}
