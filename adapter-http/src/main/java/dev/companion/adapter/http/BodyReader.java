package dev.companion.adapter.http;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;

import java.io.ByteArrayOutputStream;

/**
 * Reads a request's whole body on the IO thread, without blocking, and only then hands the
 * exchange to the next handler (a blocking one, which takes a worker thread). A client that sends
 * half a body so holds no worker, however many such connections it opens; the idle timeout ends
 * its connection. The limit is the same as {@link RequestBodies}': a larger declared length is
 * refused before a byte is read, a chunked body as soon as it grows past it.
 */
final class BodyReader implements HttpHandler {

    /** The body that was read, for {@link RequestBodies}; absent when the request had none. */
    static final AttachmentKey<byte[]> BODY = AttachmentKey.create(byte[].class);

    private final HttpHandler next;

    BodyReader(HttpHandler next) {
        this.next = next;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        if (!RequestBodies.hasBody(exchange)) {
            next.handleRequest(exchange);
            return;
        }
        RequestBodies.checkDeclaredLength(exchange);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        exchange.getRequestReceiver().receivePartialBytes((received, bytes, last) -> {
            if (body.size() + bytes.length > RequestBodies.MAX_BODY_BYTES) {
                // Answered at once; what is left of the body is discarded without a worker.
                received.getRequestReceiver().pause();
                Responses.reject(received, RequestBodies.tooLarge());
                return;
            }
            body.write(bytes, 0, bytes.length);
            if (last) {
                received.putAttachment(BODY, body.toByteArray());
                received.dispatch(next);
            }
        }, FailureHandler::clientGone);
    }

    /** The body read for this exchange; empty when it had none. */
    static byte[] of(HttpServerExchange exchange) {
        byte[] body = exchange.getAttachment(BODY);
        return body == null ? new byte[0] : body;
    }
}
