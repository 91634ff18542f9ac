package dev.companion.adapter.llm;

import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.Role;
import dev.companion.core.model.ProviderInfo;
import dev.companion.core.port.CancellationSignal;
import dev.companion.core.port.ChatMessage;
import dev.companion.core.port.LanguageModel;
import dev.companion.core.port.LanguageModelException;
import dev.companion.core.port.ModelRequest;
import dev.companion.core.port.ModelResult;
import dev.companion.core.port.TextSink;
import dev.companion.core.model.TokenUsage;
import dev.companion.adapter.llm.LanguageModels.ProviderSettings;
import dev.companion.adapter.llm.LanguageModels.Retry;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The streaming, retries, time limits and cancel that both providers share; a subclass says how to
 * build the request and how to read its events. One call is one reply.
 */
abstract class HttpStreamingLanguageModel implements LanguageModel {

    private static final System.Logger LOG = System.getLogger("dev.companion.adapter.llm");
    private static final int MAX_ERROR_BODY_BYTES = 16 * 1024;

    final ProviderSettings settings;
    /** Made at the first reply, not at start: building one sets up TLS (hundreds of classes, the CA certificates). */
    private volatile HttpClient client;
    private final ProviderErrorMapper errors;
    private final Sleeper sleeper;
    private final ProviderInfo info;
    /** The client for a provider over plain http; null over https, where {@link #client()} serves. */
    private volatile PlainHttp plain;

    HttpStreamingLanguageModel(ProviderSettings settings, Sleeper sleeper, Clock clock) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
        this.errors = new ProviderErrorMapper(settings.kind(), clock);
        this.plain = settings.baseUrl().getScheme().equals("http") ? new PlainHttp() : null;
        this.info = new ProviderInfo(settings.kind().wireName(), settings.model(), true,
                Optional.of(settings.baseUrl().getHost()), settings.reason());
    }

    /**
     * Speaks to the provider through the JDK's {@code HttpClient}, as over https, even over plain
     * http: how the tests reach the path every https provider takes with a loopback fake.
     */
    void useJdkClient() {
        plain = null;
    }

    /** The HTTP request for one reply: system prompt and history as the provider's messages. */
    abstract ProviderRequest request(String systemPrompt, List<ChatMessage> history);

    abstract EventParser newParser();

    /**
     * After a 4xx, whether the server only refused an optional part of the request that this model
     * can leave out (a field it does not know, a limit too high for it). If so the model changes what
     * it sends from now on, for every later call too, and the request is sent once more at once. Each
     * such change can happen only once, so this never loops.
     *
     * @param errorBody the start of the error body, read only to recognise the refusal
     */
    boolean relaxAfterRejection(int status, String errorBody) {
        return false;
    }

    @Override
    public ProviderInfo provider() {
        return info;
    }

    @Override
    public ModelResult stream(ModelRequest request, TextSink sink, CancellationSignal cancellation) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(sink, "sink");
        Objects.requireNonNull(cancellation, "cancellation");
        HistoryBudget.Trimmed trimmed = HistoryBudget.trim(withoutReasoning(request.messages()), settings.historyBudgetChars());
        List<Diagnostic> notes = trimmed.diagnostic().map(List::of).orElse(List.of());
        if (cancellation.isCancelled()) {
            return ModelResult.cancelled(notes);
        }
        List<ChatMessage> history = HistoryBudget.alternating(trimmed.messages());
        Gate gate = new Gate(sink);
        try (Watchdog watchdog = new Watchdog(settings.timeouts())) {
            cancellation.onCancel(() -> {
                watchdog.abort(Watchdog.Reason.CANCELLED);
                gate.close();
            });
            int attempt = 0;
            while (true) {
                try {
                    Reply reply = attempt(request(request.systemPrompt(), history), watchdog, gate);
                    List<Diagnostic> diagnostics = new ArrayList<>(notes);
                    Endings.diagnostic(reply.ending(), reply.stopReason(), gate.sentText()).ifPresent(diagnostics::add);
                    return new ModelResult(reply.ending(), reply.stopReason(), reply.usage(), diagnostics);
                } catch (Aborted aborted) {
                    return endAborted(watchdog, notes);
                } catch (Relaxed relaxed) {
                    LOG.log(System.Logger.Level.DEBUG, "the provider refused an optional part of the request; "
                            + "sending it again without");
                } catch (LanguageModelException failure) {
                    Optional<Duration> wait = retryWait(failure, attempt, gate);
                    if (wait.isEmpty()) {
                        throw failure;
                    }
                    attempt++;
                    LOG.log(System.Logger.Level.DEBUG, "retry {0} of {1} after {2}", attempt,
                            settings.retry().maxRetries(), failure.diagnostic().code().wireName());
                    try {
                        if (!sleeper.sleep(wait.get(), watchdog.abortedLatch())) {
                            return endAborted(watchdog, notes);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        watchdog.abort(Watchdog.Reason.CANCELLED);
                        return endAborted(watchdog, notes);
                    }
                }
            }
        }
    }

    /**
     * The history with any leading {@code <think>} block taken out of the assistant's messages: a
     * reply stored before its reasoning was told apart may still hold one, and reasoning is never
     * sent back to a model.
     */
    private static List<ChatMessage> withoutReasoning(List<ChatMessage> messages) {
        List<ChatMessage> cleaned = new ArrayList<>(messages.size());
        for (ChatMessage message : messages) {
            if (message.role() == Role.ASSISTANT) {
                String content = ThinkTags.withoutLeadingThinking(message.content());
                if (content.equals(message.content())) {
                    cleaned.add(message);
                } else if (!content.isBlank()) {
                    cleaned.add(new ChatMessage(message.role(), content));
                }
                // A reply that was nothing but reasoning is left out; the user's messages around it are joined.
            } else {
                cleaned.add(message);
            }
        }
        return cleaned;
    }

    /** How long to wait before trying again, or empty when this failure must end the turn. */
    private Optional<Duration> retryWait(LanguageModelException failure, int attempt, Gate gate) {
        Retry retry = settings.retry();
        if (!failure.retriable() || gate.sentAnything() || attempt >= retry.maxRetries()) {
            return Optional.empty();
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        Optional<Duration> hint = failure.retryAfter();
        if (hint.isPresent()) {
            if (hint.get().compareTo(retry.maxRetryAfter()) > 0) {
                return Optional.empty();
            }
            // A little jitter on top of the hint so that clients told the same time do not return together.
            long jitterCap = Math.max(1, Math.min(1000, hint.get().toMillis() / 10));
            return Optional.of(hint.get().plusMillis(random.nextLong(jitterCap + 1)));
        }
        long exponential = retry.initialBackoff().toMillis() << attempt;
        long half = exponential / 2;
        return Optional.of(Duration.ofMillis(half + random.nextLong(exponential - half + 1)));
    }

    private ModelResult endAborted(Watchdog watchdog, List<Diagnostic> notes) {
        Watchdog.Reason reason = watchdog.reason().orElse(Watchdog.Reason.CANCELLED);
        if (reason == Watchdog.Reason.CANCELLED) {
            return ModelResult.cancelled(notes);
        }
        throw errors.timeout(reason, watchdog.limit(reason));
    }

    private Reply attempt(ProviderRequest request, Watchdog watchdog, Gate gate) throws Aborted, Relaxed {
        AtomicReference<InputStream> body = new AtomicReference<>();
        AtomicReference<Closeable> connection = new AtomicReference<>();
        HeaderWait headerWait = new HeaderWait();
        watchdog.startAttempt(() -> {
            headerWait.interrupt();
            closeQuietly(connection.get());
            closeQuietly(body.get());
        });
        try {
            PlainHttp plainHttp = plain;
            PlainHttp.Response response = plainHttp != null
                    ? awaitPlainResponse(plainHttp, request, connection, watchdog)
                    : awaitResponse(request, headerWait, watchdog);
            body.set(response.body());
            if (watchdog.reason().isPresent()) {
                closeQuietly(response.body());
                throw new Aborted();
            }
            int status = response.status();
            HttpHeaders headers = response.headers();
            try (InputStream in = response.body()) {
                if (status / 100 != 2) {
                    byte[] errorBody = in.readNBytes(MAX_ERROR_BODY_BYTES);
                    if (status / 100 == 4 && relaxAfterRejection(status, new String(errorBody, StandardCharsets.UTF_8))) {
                        throw new Relaxed();
                    }
                    throw errors.fromStatus(status, headers, Json.parseObject(errorBody));
                }
                return read(in, status, headers, watchdog, gate);
            } catch (IOException e) {
                if (watchdog.reason().isPresent()) {
                    throw new Aborted();
                }
                if (status / 100 != 2) {
                    // The error body broke off; the status alone still says what happened.
                    throw errors.fromStatus(status, headers, Optional.empty());
                }
                throw errors.interrupted(gate.sentAnything(), status, headers);
            }
        } finally {
            watchdog.endAttempt();
        }
    }

    /** Over plain http: this thread connects, writes and reads; an abort closes the socket. */
    private PlainHttp.Response awaitPlainResponse(PlainHttp plainHttp, ProviderRequest request,
                                                  AtomicReference<Closeable> connection, Watchdog watchdog) throws Aborted {
        try {
            return plainHttp.send(request, settings.timeouts().connect(), opened -> {
                connection.set(opened);
                if (watchdog.reason().isPresent()) {
                    closeQuietly(opened); // aborted before the connection was known
                }
            });
        } catch (IOException e) {
            throw failedToSend(e, watchdog);
        }
    }

    /**
     * Sends the request and waits for the response's head on this thread. {@code HttpClient.send}
     * rather than {@code sendAsync}: the latter completes its future through
     * {@code CompletableFuture}'s default executor, which on a machine of one or two processors is
     * a new thread for every request, and is one more thread hop before the first token in any case.
     * The watchdog interrupts the wait (which cancels the exchange) when it aborts the attempt.
     */
    private PlainHttp.Response awaitResponse(ProviderRequest request, HeaderWait headerWait, Watchdog watchdog)
            throws Aborted {
        try {
            HttpResponse<InputStream> response = client().send(request.toHttpRequest(), HttpResponse.BodyHandlers.ofInputStream());
            return new PlainHttp.Response(response.statusCode(), response.headers(), response.body());
        } catch (InterruptedException e) {
            if (!headerWait.clearOwnInterrupt()) {
                Thread.currentThread().interrupt();
            }
            watchdog.abort(Watchdog.Reason.CANCELLED);
            throw new Aborted();
        } catch (IOException e) {
            throw failedToSend(e, watchdog);
        } finally {
            if (headerWait.done()) {
                // The watchdog interrupted the wait just as the head arrived: the interrupt was ours.
                Thread.interrupted();
            }
        }
    }

    private Aborted failedToSend(IOException e, Watchdog watchdog) {
        if (watchdog.reason().isPresent()) {
            return new Aborted();
        }
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof HttpConnectTimeoutException) {
                throw errors.timeout(Watchdog.Reason.CONNECT, settings.timeouts().connect());
            }
        }
        // The cause's text may name the host and port; it is not passed on.
        throw errors.unreachable();
    }

    /**
     * The thread waiting for a response's head, which the watchdog may interrupt while (and only
     * while) it waits, so that an interrupt never outlives the wait it was meant for.
     */
    private HttpClient client() {
        HttpClient made = client;
        if (made == null) {
            synchronized (this) {
                made = client;
                if (made == null) {
                    made = newClient(settings);
                    client = made;
                }
            }
        }
        return made;
    }

    /**
     * HTTP/1.1: closing the body stream then closes the connection, which is how a cancel reaches the
     * provider. The client's own tasks run on the thread that has the work: the request is written by
     * the turn's thread and the response read by the client's selector thread, which hands each piece
     * straight to the turn's thread waiting on the body stream (a queue it never blocks on). A pool
     * would add a hand-off, and a thread's wake-up, to the request and to every piece of the reply.
     */
    private static HttpClient newClient(ProviderSettings settings) {
        return HttpClient.newBuilder()
                .executor(Runnable::run)
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.timeouts().connect())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    private static final class HeaderWait {
        private final Thread waiter = Thread.currentThread();
        private boolean waiting = true;
        private boolean interrupted;

        synchronized void interrupt() {
            if (waiting && !interrupted) {
                interrupted = true;
                waiter.interrupt();
            }
        }

        /** Ends the wait; true when this wait's own interrupt may still be pending on the thread. */
        synchronized boolean done() {
            waiting = false;
            return interrupted;
        }

        /** After an InterruptedException: whether it was this wait's own (then nothing else asked for it). */
        synchronized boolean clearOwnInterrupt() {
            return interrupted;
        }
    }

    private Reply read(InputStream in, int status, HttpHeaders headers, Watchdog watchdog, Gate gate)
            throws IOException, Aborted {
        SseReader events = new SseReader(in);
        EventParser parser = newParser();
        boolean anyEvent = false;
        while (true) {
            Optional<SseEvent> event = events.next();
            if (event.isEmpty()) {
                if (watchdog.reason().isPresent()) {
                    throw new Aborted();
                }
                if (parser.finished()) {
                    // A stop reason followed by a clean end of the stream is a whole reply, [DONE] or
                    // message_stop or not: some servers (ik_llama.cpp, llama-box) never send the marker.
                    return end(parser, status, headers, watchdog, gate);
                }
                if (!anyEvent) {
                    throw errors.empty(false, status, headers);
                }
                throw errors.interrupted(gate.sentAnything(), status, headers);
            }
            anyEvent = true;
            EventParser.Step step;
            try {
                step = parser.onEvent(event.get());
            } catch (Json.MalformedEvent e) {
                throw gate.sentAnything() ? errors.interrupted(true, status, headers) : errors.malformed(status, headers);
            }
            if (step instanceof EventParser.Output output) {
                deliver(output.deltas(), watchdog, gate);
            } else if (step instanceof EventParser.End) {
                return end(parser, status, headers, watchdog, gate);
            } else if (step instanceof EventParser.Failed failed) {
                throw gate.sentAnything()
                        ? errors.interrupted(true, status, headers)
                        : errors.fromStreamError(failed.event(), status, headers);
            }
        }
    }

    private Reply end(EventParser parser, int status, HttpHeaders headers, Watchdog watchdog, Gate gate)
            throws Aborted {
        deliver(parser.flush(), watchdog, gate);
        ModelResult.Ending ending = parser.ending();
        if (!gate.sentText() && ending == ModelResult.Ending.COMPLETED) {
            throw errors.empty(gate.sentReasoning(), status, headers);
        }
        return new Reply(ending, parser.stopReason(), parser.usage());
    }

    private static void deliver(List<EventParser.Delta> deltas, Watchdog watchdog, Gate gate) throws Aborted {
        for (EventParser.Delta delta : deltas) {
            if (delta.text().isEmpty()) {
                continue;
            }
            watchdog.activity();
            boolean open = delta instanceof EventParser.Reasoning
                    ? gate.sendReasoning(delta.text())
                    : gate.sendText(delta.text());
            if (!open) {
                throw new Aborted();
            }
        }
    }

    private static void closeQuietly(Closeable in) {
        if (in != null) {
            try {
                in.close();
            } catch (IOException ignored) {
                // Closing is how we abort; a failure to close changes nothing.
            }
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[host=" + settings.baseUrl().getHost() + ", model=" + settings.model() + "]";
    }

    private record Reply(ModelResult.Ending ending, Optional<String> stopReason, Optional<TokenUsage> usage) {
    }

    /** The provider refused an optional part of the request, which the model now leaves out. */
    private static final class Relaxed extends Exception {
        Relaxed() {
            super("relaxed", null, false, false);
        }
    }

    /** The watchdog ended the attempt: a time limit or a cancel. */
    private static final class Aborted extends Exception {
        Aborted() {
            super("aborted", null, false, false);
        }
    }
}
