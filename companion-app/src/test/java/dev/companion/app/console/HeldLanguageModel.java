package dev.companion.app.console;

import dev.companion.core.model.ProviderInfo;
import dev.companion.core.port.CancellationSignal;
import dev.companion.core.port.LanguageModel;
import dev.companion.core.port.LanguageModelException;
import dev.companion.core.port.ModelRequest;
import dev.companion.core.port.ModelResult;
import dev.companion.core.port.TextSink;

import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A live-looking model the test holds in its hand: a reply is exactly the pieces the test emits, and
 * it ends when the test says so or the turn is cancelled. Until then the model waits, so the test
 * can look at the browser in the middle of a reply for as long as it needs.
 */
final class HeldLanguageModel implements LanguageModel {

    private static final Object END = new Object();

    private final BlockingQueue<Object> pieces = new LinkedBlockingQueue<>();
    private final BlockingQueue<ModelRequest> calls = new LinkedBlockingQueue<>();

    @Override
    public ProviderInfo provider() {
        return new ProviderInfo("scripted", "scripted-1", true, Optional.of("model.test"), Optional.empty());
    }

    void emit(String piece) {
        pieces.add(piece);
    }

    void finish() {
        pieces.add(END);
    }

    /** Ends the reply with this failure, as a provider adapter would report it. */
    void fail(LanguageModelException failure) {
        pieces.add(failure);
    }

    /** Queues a whole reply, so it streams as soon as the model is asked. */
    void script(String... reply) {
        for (String piece : reply) {
            emit(piece);
        }
        finish();
    }

    /** Waits until the model has been asked for a reply. */
    ModelRequest awaitCall() throws InterruptedException {
        ModelRequest request = calls.poll(20, TimeUnit.SECONDS);
        if (request == null) {
            throw new AssertionError("the model was not asked for a reply within 20 seconds");
        }
        return request;
    }

    @Override
    public ModelResult stream(ModelRequest request, TextSink sink, CancellationSignal cancellation) {
        // A cancel wakes this call only: the marker is its own, so a late one never ends the next reply.
        Object cancelled = new Object();
        cancellation.onCancel(() -> pieces.add(cancelled));
        calls.add(request);
        while (true) {
            Object next;
            try {
                next = pieces.poll(2, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return ModelResult.finished("interrupted");
            }
            if (next == null || next == END) {
                return ModelResult.finished("end_turn");
            }
            if (next == cancelled || cancellation.isCancelled()) {
                return ModelResult.finished("cancelled");
            }
            if (next instanceof String piece) {
                sink.accept(piece);
            }
            if (next instanceof LanguageModelException failure) {
                throw failure;
            }
        }
    }
}
