package dev.companion.adapter.http;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;

import java.io.ByteArrayOutputStream;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Reads a request's whole body on the IO thread, without blocking, and only then hands the
 * exchange, in blocking mode, to the next handler on another thread: a worker thread, or the
 * executor given (the runtime's sending threads) while it has room. A client that sends half a body
 * so holds no thread, however many such connections it opens; the idle timeout ends its connection.
 * The limit is the same as {@link RequestBodies}': a larger declared length is refused before a
 * byte is read, a chunked body as soon as it grows past it.
 */
final class BodyReader implements HttpHandler {

    /** The body that was read, for {@link RequestBodies}; absent when the request had none. */
    static final AttachmentKey<byte[]> BODY = AttachmentKey.create(byte[].class);

    private final HttpHandler next;
    /** Where the next handler runs; null for the connection's worker threads. */
    private final Executor runOn;

    /**
     * @param next  the route's handler, which may block
     * @param runOn where it runs, or null for the connection's worker threads; when it refuses a
     *              request ({@link RejectedExecutionException}), the request runs on a worker
     */
    BodyReader(HttpHandler next, Executor runOn) {
        this.next = next;
        this.runOn = runOn;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        if (!RequestBodies.hasBody(exchange)) {
            dispatch(exchange);
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
                dispatch(received);
            }
        }, FailureHandler::clientGone);
    }

    private void dispatch(HttpServerExchange exchange) {
        Executor worker = exchange.getConnection().getWorker();
        Executor executor = runOn == null ? worker : task -> {
            try {
                runOn.execute(task);
            } catch (RejectedExecutionException full) {
                worker.execute(task);
            }
        };
        exchange.dispatch(executor, blocking -> {
            blocking.startBlocking();
            next.handleRequest(blocking);
        });
    }

    /** The body read for this exchange; empty when it had none. */
    static byte[] of(HttpServerExchange exchange) {
        byte[] body = exchange.getAttachment(BODY);
        return body == null ? new byte[0] : body;
    }
}
