package dev.companion.adapter.http;

import dev.companion.core.model.DiagnosticCode;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Request bodies the strict way: JSON only, at most {@link #MAX_BODY_BYTES}, valid UTF-8. The
 * size is checked on the declared length before anything is read and again while reading (by
 * {@link BodyReader}, which reads every body before a route runs), so a chunked body cannot get
 * past it either.
 */
final class RequestBodies {

    /** The largest request body accepted; enough for a message of 8,000 characters of any script. */
    static final int MAX_BODY_BYTES = 64 * 1024;
    /** The most of a refused body the server reads and throws away, so the client sees the 413. */
    static final long MAX_DRAIN_BYTES = 1024 * 1024;

    private RequestBodies() {
    }

    /** True when the request says it carries a body (a length above 0, or a transfer coding). */
    static boolean hasBody(HttpServerExchange exchange) {
        long declared = exchange.getRequestContentLength();
        return declared > 0 || (declared < 0 && exchange.getRequestHeaders().contains(Headers.TRANSFER_ENCODING));
    }

    /** Refuses a declared length over the limit, before a byte of the body is read. */
    static void checkDeclaredLength(HttpServerExchange exchange) {
        if (exchange.getRequestContentLength() > MAX_BODY_BYTES) {
            throw tooLarge();
        }
    }

    /**
     * The guard every route gets: a body, when there is one, is JSON; a route that needs one
     * ({@link Route.Body#JSON}) also refuses a request that does not say so.
     */
    static void checkContentType(HttpServerExchange exchange, Route.Body body) {
        if (body == Route.Body.JSON || hasBody(exchange)) {
            requireJson(exchange);
        }
    }

    /** {@code application/json}, with no charset or with {@code utf-8}; anything else is 415. */
    private static void requireJson(HttpServerExchange exchange) {
        String contentType = exchange.getRequestHeaders().getFirst(Headers.CONTENT_TYPE);
        if (contentType == null || !isJsonUtf8(contentType)) {
            throw new Rejection(415, DiagnosticCode.UNSUPPORTED_MEDIA_TYPE,
                    "Send the body as application/json (UTF-8).");
        }
    }

    static boolean isJsonUtf8(String contentType) {
        String[] parts = contentType.split(";", -1);
        if (!parts[0].trim().toLowerCase(Locale.ROOT).equals("application/json")) {
            return false;
        }
        for (int i = 1; i < parts.length; i++) {
            String parameter = parts[i].trim();
            int equals = parameter.indexOf('=');
            if (equals < 0) {
                return false;
            }
            String name = parameter.substring(0, equals).trim().toLowerCase(Locale.ROOT);
            String value = parameter.substring(equals + 1).trim();
            if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                value = value.substring(1, value.length() - 1);
            }
            if (name.equals("charset") && !value.equalsIgnoreCase("utf-8")) {
                return false;
            }
        }
        return true;
    }

    /** The body as text, strictly decoded: as {@link BodyReader} read it, so at most the limit. */
    static String readUtf8(HttpServerExchange exchange) {
        checkDeclaredLength(exchange);
        byte[] bytes = BodyReader.of(exchange);
        if (bytes.length > MAX_BODY_BYTES) {
            throw tooLarge();
        }
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
            return text;
        } catch (CharacterCodingException e) {
            throw invalidUtf8();
        }
    }

    /**
     * A JSON string may spell a lone surrogate as an escape ({@code "\ud800"}); such text has no
     * UTF-8 form, so it is refused like invalid bytes rather than stored and mangled later.
     */
    static String requireWellFormed(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw invalidUtf8();
            }
        }
        return text;
    }

    static Rejection tooLarge() {
        // Answered before the rest is read. Undertow then discards what is left of the body, up to
        // MAX_DRAIN_BYTES, so that an ordinary client gets to read the answer; a larger body ends
        // the connection instead.
        return new Rejection(413, DiagnosticCode.BODY_TOO_LARGE,
                "The request body is larger than " + MAX_BODY_BYTES + " bytes.");
    }

    private static Rejection invalidUtf8() {
        return new Rejection(400, DiagnosticCode.INVALID_UTF8, "The body is not valid UTF-8 text.");
    }
}
