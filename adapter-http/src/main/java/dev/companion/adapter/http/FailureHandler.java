package dev.companion.adapter.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.companion.core.model.CompanionException;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.ConversationNotFoundException;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.port.StorageException;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import org.xnio.IoUtils;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.RejectedExecutionException;

import java.lang.System.Logger.Level;

/**
 * The one place where failures become answers: a {@link Rejection} with its status, a core
 * {@link CompanionException} by its state and diagnostic, anything else a generic 500. The body
 * is the diagnostic written for the outside, never an exception's own message or a stack trace;
 * the unexpected ones are logged here, by type, for the operator.
 */
final class FailureHandler implements HttpHandler {

    private static final System.Logger LOG = System.getLogger(FailureHandler.class.getName());

    private final HttpHandler next;

    FailureHandler(HttpHandler next) {
        this.next = next;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        try {
            next.handleRequest(exchange);
        } catch (Rejection rejection) {
            answer(exchange, () -> Responses.reject(exchange, rejection));
        } catch (StorageException e) {
            LOG.log(Level.WARNING, "transcript storage failed: {0}", e.diagnostic().code().wireName());
            answer(exchange, () -> Responses.error(exchange, storageStatus(exchange, e.diagnostic().code()),
                    CompanionState.ERROR, e.diagnostic()));
        } catch (CompanionException e) {
            answer(exchange, () -> Responses.error(exchange, statusOf(e), e.state(), e.diagnostic()));
        } catch (Exception e) {
            IOException gone = clientConnectionFailure(e);
            if (gone != null) {
                clientGone(exchange, gone);
                return;
            }
            if (e instanceof RejectedExecutionException) {
                // Only a stopping server refuses work: the request ends with it, nothing went wrong.
                LOG.log(Level.DEBUG, "a request ended as the server stopped: {0} {1}", exchange.getRequestMethod(),
                        exchange.getRequestPath());
                exchange.setPersistent(false);
                IoUtils.safeClose(exchange.getConnection());
                return;
            }
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.log(Level.ERROR, "a request failed unexpectedly", e);
            answer(exchange, () -> Responses.error(exchange, 500, CompanionState.ERROR, Diagnostic.error(
                    DiagnosticCode.INTERNAL_ERROR, "The server could not answer this request; it has been logged.")));
        }
    }

    /**
     * The client went away (closed its connection, or it was closed for stalling) while its request
     * was read or its answer written: nothing is wrong with the server and nobody is left to answer.
     * One line for the operator who looks, and the connection is closed.
     */
    static void clientGone(HttpServerExchange exchange, IOException e) {
        LOG.log(Level.DEBUG, "the client closed its connection: {0} {1}: {2}", exchange.getRequestMethod(),
                exchange.getRequestPath(), e.getClass().getSimpleName());
        exchange.setPersistent(false);
        IoUtils.safeClose(exchange.getConnection());
    }

    /**
     * The I/O failure on the client's connection behind {@code e}, or null. Routes do no other I/O
     * (storage fails as {@link StorageException}); a Jackson failure is a bug of this server, not the
     * client's doing.
     */
    private static IOException clientConnectionFailure(Exception e) {
        Throwable cause = e instanceof UncheckedIOException unchecked ? unchecked.getCause() : e;
        if (cause instanceof IOException io && !(cause instanceof JsonProcessingException)) {
            return io;
        }
        return null;
    }

    /**
     * The status of a storage failure, for a send as for a read: 503 with {@code Retry-After} when the
     * store cannot be reached right now ({@code store_unavailable}: the shared database is down or
     * refuses the login, and the store reconnects by itself once it is back), else 500.
     */
    static int storageStatus(HttpServerExchange exchange, DiagnosticCode code) {
        if (code == DiagnosticCode.STORE_UNAVAILABLE) {
            exchange.getResponseHeaders().put(Headers.RETRY_AFTER, STORE_RETRY_AFTER_SECONDS);
            return 503;
        }
        return 500;
    }

    /** How long a client is asked to wait before trying a store that could not be reached again. */
    static final int STORE_RETRY_AFTER_SECONDS = 5;

    static int statusOf(CompanionException e) {
        DiagnosticCode code = e.diagnostic().code();
        if (code == DiagnosticCode.EMPTY_MESSAGE || code == DiagnosticCode.MESSAGE_TOO_LONG
                || code == DiagnosticCode.MESSAGE_CONTAINS_NUL) {
            return 422;
        }
        if (e instanceof ConversationNotFoundException || code == DiagnosticCode.CONVERSATION_NOT_FOUND) {
            return 404;
        }
        return switch (e.state()) {
            case REJECTED -> code == DiagnosticCode.CAPABILITY_DENIED ? 403 : 400;
            case BUSY -> 409;
            case TIMEOUT -> 504;
            default -> 500;
        };
    }

    /** Answers unless an answer has already begun (then the connection is simply closed). */
    private static void answer(HttpServerExchange exchange, Runnable respond) {
        if (exchange.isResponseStarted()) {
            exchange.setPersistent(false);
            exchange.endExchange();
            return;
        }
        exchange.getResponseHeaders().remove(io.undertow.util.Headers.CONTENT_LENGTH);
        respond.run();
    }
}
