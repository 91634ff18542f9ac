package dev.companion.adapter.cli;

import dev.companion.core.model.ProviderInfo;
import dev.companion.core.port.CancellationSignal;
import dev.companion.core.port.LanguageModel;
import dev.companion.core.port.LanguageModelException;
import dev.companion.core.port.ModelRequest;
import dev.companion.core.port.ModelResult;
import dev.companion.core.port.TextSink;

import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A live-looking model that holds its turn until the test opens the gate (or the turn is cancelled),
 * then streams two pieces, or fails if told to.
 */
final class GatedModel implements LanguageModel {

    final CountDownLatch started = new CountDownLatch(1);
    final CountDownLatch gate = new CountDownLatch(1);
    volatile LanguageModelException failure;

    @Override
    public ProviderInfo provider() {
        return new ProviderInfo("gated", "gated-1", true, Optional.empty(), Optional.empty());
    }

    @Override
    public ModelResult stream(ModelRequest request, TextSink sink, CancellationSignal cancellation) {
        started.countDown();
        cancellation.onCancel(gate::countDown);
        try {
            if (!gate.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never opened the gate");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ModelResult.finished("interrupted");
        }
        if (cancellation.isCancelled()) {
            return ModelResult.finished("cancelled");
        }
        if (failure != null) {
            throw failure;
        }
        sink.accept("late ");
        sink.accept("reply");
        return ModelResult.finished("end_turn");
    }
}
