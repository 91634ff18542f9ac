package dev.companion.bench.bare;

import io.undertow.Undertow;
import io.undertow.util.Headers;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The floor the Companion's server is measured against: a bare Undertow answering every request with
 * one fixed JSON document, on Undertow's IO threads, the way Undertow's own benchmarks answer.
 * {@code java -jar bench/target/bare-undertow.jar PORT BODY_BYTES}.
 */
public final class BareUndertow {

    private BareUndertow() {
    }

    public static void main(String[] args) {
        int port = Integer.parseInt(args[0]);
        int size = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        ByteBuffer body = ByteBuffer.wrap(json(size)).asReadOnlyBuffer();
        Undertow.builder()
                .addHttpListener(port, "127.0.0.1")
                .setHandler(exchange -> {
                    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
                    exchange.getResponseSender().send(body.duplicate());
                })
                .build()
                .start();
    }

    /** A JSON object of exactly {@code size} bytes (at least 12). */
    static byte[] json(int size) {
        String head = "{\"pad\":\"";
        String tail = "\"}";
        int pad = Math.max(0, size - head.length() - tail.length());
        char[] filler = new char[pad];
        Arrays.fill(filler, 'x');
        return (head + new String(filler) + tail).getBytes(StandardCharsets.UTF_8);
    }
}
