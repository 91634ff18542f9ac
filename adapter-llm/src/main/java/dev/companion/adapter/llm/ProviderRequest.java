package dev.companion.adapter.llm;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One POST to a provider: where, its headers and its JSON body, as both clients send it. The
 * plain-http client writes it out as it is; the JDK client's {@link HttpRequest} is made from it only
 * on that path, so a turn to a local server never pays for building one. A header may carry the
 * provider's key, so this never prints its headers or its body.
 */
final class ProviderRequest {

    private final URI uri;
    private final List<String> headers; // name, value, name, value...
    private final byte[] body;

    private ProviderRequest(URI uri, List<String> headers, byte[] body) {
        this.uri = uri;
        this.headers = headers;
        this.body = body;
    }

    /** A POST of {@code body} as JSON, answered as an event stream. */
    static ProviderRequest postJson(URI uri, byte[] body) {
        return new ProviderRequest(Objects.requireNonNull(uri, "uri"), List.of(), Objects.requireNonNull(body, "body"))
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream");
    }

    /** This request with one more header; a line break in either part is refused, as HttpRequest does. */
    ProviderRequest header(String name, String value) {
        if (name.isEmpty() || hasLineBreak(name) || hasLineBreak(value)) {
            throw new IllegalArgumentException("a header name that is empty, or a header with a line break");
        }
        List<String> more = new ArrayList<>(headers.size() + 2);
        more.addAll(headers);
        more.add(name);
        more.add(value);
        return new ProviderRequest(uri, List.copyOf(more), body);
    }

    URI uri() {
        return uri;
    }

    /** The whole HTTP/1.1 message: request line, Host, Content-Length, the headers, a blank line, the body. */
    byte[] http11() {
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        StringBuilder head = new StringBuilder(256).append("POST ").append(path);
        if (uri.getRawQuery() != null) {
            head.append('?').append(uri.getRawQuery());
        }
        head.append(" HTTP/1.1\r\nHost: ").append(uri.getHost());
        if (uri.getPort() >= 0) {
            head.append(':').append(uri.getPort());
        }
        head.append("\r\nContent-Length: ").append(body.length).append("\r\n");
        for (int i = 0; i < headers.size(); i += 2) {
            head.append(headers.get(i)).append(": ").append(headers.get(i + 1)).append("\r\n");
        }
        head.append("\r\n");
        byte[] headBytes = head.toString().getBytes(StandardCharsets.UTF_8);
        byte[] message = new byte[headBytes.length + body.length];
        System.arraycopy(headBytes, 0, message, 0, headBytes.length);
        System.arraycopy(body, 0, message, headBytes.length, body.length);
        return message;
    }

    /** The same request for the JDK's client (https). */
    HttpRequest toHttpRequest() {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.size(); i += 2) {
            builder.header(headers.get(i), headers.get(i + 1));
        }
        return builder.build();
    }

    private static boolean hasLineBreak(String text) {
        return text.indexOf('\r') >= 0 || text.indexOf('\n') >= 0;
    }

    @Override
    public String toString() {
        return "POST " + uri; // never the headers (a key) or the body (the conversation)
    }
}
