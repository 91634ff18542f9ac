package dev.companion.adapter.http;

import dev.companion.core.model.ProviderInfo;
import dev.companion.core.port.CancellationSignal;
import dev.companion.core.port.LanguageModel;
import dev.companion.core.port.ModelRequest;
import dev.companion.core.port.ModelResult;
import dev.companion.core.port.TextSink;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A language model the test drives: each reply is the pieces the test hands it, in order, until the
 * test ends it. A reply scripted before the message is sent streams at once; otherwise the model
 * waits (for a piece, the end, or a cancel), so a test can hold a turn open as long as it needs.
 */
final class ScriptedLanguageModel implements LanguageModel {

    private static final Object END = new Object();

    private final BlockingQueue<Object> pieces = new LinkedBlockingQueue<>();
    private final BlockingQueue<ModelRequest> calls = new LinkedBlockingQueue<>();

    @Override
    public ProviderInfo provider() {
        return new ProviderInfo("scripted", "scripted-1", true, Optional.of("model.test"), Optional.empty());
    }

    /** Queues a whole reply: these pieces, then its end. */
    void script(String... reply) {
        for (String piece : reply) {
            pieces.add(piece);
        }
        pieces.add(END);
    }

    /** Streams one more piece of the reply being written. */
    void emit(String piece) {
        pieces.add(piece);
    }

    /** Ends the reply being written. */
    void finish() {
        pieces.add(END);
    }

    /** Waits until the model has been asked for a reply, and returns what it was sent. */
    ModelRequest awaitCall() throws InterruptedException {
        ModelRequest request = calls.poll(10, TimeUnit.SECONDS);
        if (request == null) {
            throw new AssertionError("the model was not called within 10 seconds");
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
                next = pieces.poll(60, TimeUnit.SECONDS);
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
        }
    }

    List<Object> leftOver() {
        return List.copyOf(pieces);
    }
}
