package dev.companion.app;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * The model of the launcher's training run: a loopback server that answers an OpenAI-compatible
 * {@code POST /v1/chat/completions} and an Anthropic {@code POST /v1/messages} with a short streamed
 * reply in each provider's shape, so that the training's turns go through the provider clients
 * exactly as a person's do and their classes land in the archive. Fixed text, no key checked, reached
 * by nothing but the training's own server. The JDK's small HTTP server is enough here, and it keeps
 * Undertow where the architecture wants it (the HTTP adapter).
 */
final class TrainingProvider implements AutoCloseable {

    static final String OPENAI_PATH = "/v1/chat/completions";
    static final String ANTHROPIC_PATH = "/v1/messages";

    private static final String[] PIECES = {"Hello", " from", " the", " training", " run."};

    private final HttpServer server;

    private TrainingProvider(HttpServer server) {
        this.server = server;
    }

    static TrainingProvider start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", TrainingProvider::answer);
        server.start();
        return new TrainingProvider(server);
    }

    /** Where the provider clients are pointed: the OpenAI-compatible way takes {@code /v1} in its base URL. */
    URI openAiBaseUrl() {
        return URI.create(origin() + "/v1");
    }

    URI anthropicBaseUrl() {
        return URI.create(origin());
    }

    private String origin() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private static void answer(HttpExchange exchange) throws IOException {
        try (exchange; InputStream request = exchange.getRequestBody()) {
            request.transferTo(OutputStream.nullOutputStream());
            String path = exchange.getRequestURI().getPath();
            byte[][] events = !"POST".equals(exchange.getRequestMethod()) ? null
                    : OPENAI_PATH.equals(path) ? openAiStream()
                    : ANTHROPIC_PATH.equals(path) ? anthropicStream()
                    : null;
            if (events == null) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            OutputStream body = exchange.getResponseBody();
            for (byte[] event : events) {
                body.write(event);
                body.flush();
            }
        }
    }

    private static byte[][] openAiStream() {
        String head = "{\"id\":\"chatcmpl-training\",\"object\":\"chat.completion.chunk\",\"created\":0,"
                + "\"model\":\"training\",\"choices\":";
        byte[][] events = new byte[PIECES.length + 3][];
        for (int i = 0; i < PIECES.length; i++) {
            String delta = i == 0 ? "{\"role\":\"assistant\",\"content\":\"" + PIECES[i] + "\"}"
                    : "{\"content\":\"" + PIECES[i] + "\"}";
            events[i] = event(null, head + "[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":null}]}");
        }
        events[PIECES.length] = event(null, head + "[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}");
        events[PIECES.length + 1] = event(null, head + "[],\"usage\":{\"prompt_tokens\":12,"
                + "\"completion_tokens\":5,\"total_tokens\":17}}");
        events[PIECES.length + 2] = event(null, "[DONE]");
        return events;
    }

    private static byte[][] anthropicStream() {
        byte[][] events = new byte[PIECES.length + 5][];
        events[0] = event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_training\","
                + "\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"training\","
                + "\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}");
        events[1] = event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,"
                + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
        for (int i = 0; i < PIECES.length; i++) {
            events[2 + i] = event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,"
                    + "\"delta\":{\"type\":\"text_delta\",\"text\":\"" + PIECES[i] + "\"}}");
        }
        events[PIECES.length + 2] = event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}");
        events[PIECES.length + 3] = event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
                + "\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":5}}");
        events[PIECES.length + 4] = event("message_stop", "{\"type\":\"message_stop\"}");
        return events;
    }

    private static byte[] event(String name, String data) {
        return ((name == null ? "" : "event: " + name + "\n") + "data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
