package dev.companion.app.console;

import dev.companion.core.model.ProviderInfo;
import dev.companion.core.model.TokenUsage;
import dev.companion.core.port.CancellationSignal;
import dev.companion.core.port.LanguageModel;
import dev.companion.core.port.LanguageModelException;
import dev.companion.core.port.ModelRequest;
import dev.companion.core.port.ModelResult;
import dev.companion.core.port.TextSink;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A live-looking model the test holds in its hand, speaking everything a real provider's stream can
 * carry that the console shows: pieces of the reply, pieces of reasoning apart from it, and an end
 * with its own {@link ModelResult} (a truncated, filtered or refused reply with its diagnostic, the
 * tokens counted). Core's {@code HeldLanguageModel} with those added: a reply is exactly what the
 * test sends, in its order, and it ends when the test says so, fails when told to, or the turn is
 * cancelled. A reply scripted before the message is sent streams at once; otherwise the model
 * waits, so a test can hold a turn open (and look at it) for as long as it needs.
 */
final class HeldProviderModel implements LanguageModel {

    private record Reasoning(String piece) {
    }

    private final BlockingQueue<Object> pieces = new LinkedBlockingQueue<>();
    private final BlockingQueue<ModelRequest> calls = new LinkedBlockingQueue<>();

    @Override
    public ProviderInfo provider() {
        return new ProviderInfo("scripted", "scripted-1", true, Optional.of("model.test"), Optional.empty());
    }

    /** Streams one more piece of the reply being written. */
    void emit(String piece) {
        pieces.add(piece);
    }

    /** Streams one more piece of the model's reasoning, apart from the reply. */
    void think(String piece) {
        pieces.add(new Reasoning(piece));
    }

    /** Ends the reply being written as finished, with no usage reported. */
    void finish() {
        end(ModelResult.finished("end_turn"));
    }

    /** Ends the reply being written as finished, with the tokens the provider counted. */
    void finish(TokenUsage usage) {
        end(new ModelResult(ModelResult.Ending.COMPLETED, Optional.of("end_turn"), Optional.of(usage), List.of()));
    }

    /** Ends the reply being written the way a provider said it ended (truncated, filtered, refused…). */
    void end(ModelResult result) {
        pieces.add(result);
    }

    /** Ends the reply with this failure, as a provider adapter would report it. */
    void fail(LanguageModelException failure) {
        pieces.add(failure);
    }

    /** Queues a whole reply: these pieces, then its end. */
    void script(String... reply) {
        for (String piece : reply) {
            emit(piece);
        }
        finish();
    }

    /** Waits until the model has been asked for a reply, and returns what it was sent. */
    ModelRequest awaitCall() throws InterruptedException {
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
            if (next == null) {
                return ModelResult.finished("end_turn");
            }
            if (next == cancelled || cancellation.isCancelled()) {
                return ModelResult.finished("cancelled");
            }
            if (next instanceof ModelResult result) {
                return result;
            }
            if (next instanceof String piece) {
                sink.accept(piece);
            }
            if (next instanceof Reasoning reasoning) {
                sink.reasoning(reasoning.piece());
            }
            if (next instanceof LanguageModelException failure) {
                throw failure;
            }
        }
    }
}
