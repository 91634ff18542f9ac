package dev.companion.core.port;

import dev.companion.core.model.ProviderInfo;

import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A live-looking model the test holds in its hand: a reply is exactly the pieces the test emits, and
 * it ends when the test says so, fails when told to, or the turn is cancelled. A reply scripted
 * before the message is sent streams at once; otherwise the model waits, so a test can hold a turn
 * open (and look at it) for as long as it needs.
 */
public final class HeldLanguageModel implements LanguageModel {

    private static final Object END = new Object();

    private final BlockingQueue<Object> pieces = new LinkedBlockingQueue<>();
    private final BlockingQueue<ModelRequest> calls = new LinkedBlockingQueue<>();

    @Override
    public ProviderInfo provider() {
        return new ProviderInfo("scripted", "scripted-1", true, Optional.of("model.test"), Optional.empty());
    }

    /** Streams one more piece of the reply being written. */
    public void emit(String piece) {
        pieces.add(piece);
    }

    /** Ends the reply being written. */
    public void finish() {
        pieces.add(END);
    }

    /** Ends the reply with this failure, as a provider adapter would report it. */
    public void fail(LanguageModelException failure) {
        pieces.add(failure);
    }

    /** Queues a whole reply: these pieces, then its end. */
    public void script(String... reply) {
        for (String piece : reply) {
            emit(piece);
        }
        finish();
    }

    /** Waits until the model has been asked for a reply, and returns what it was sent. */
    public ModelRequest awaitCall() throws InterruptedException {
        ModelRequest request = calls.poll(20, TimeUnit.SECONDS);
        if (request == null) {
            throw new AssertionError("the model was not asked for a reply within 20 seconds");
        }
        return request;
    }

    @Override
    public ModelResult stream(ModelRequest request, TextSink sink, CancellationSignal cancellation) {
        // A cancel wakes this call only: the marker is this call's own, so a late one never ends the next reply.
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
