package dev.companion.runtime;

import dev.companion.core.model.ProviderInfo;
import dev.companion.core.port.CancellationSignal;
import dev.companion.core.port.LanguageModel;
import dev.companion.core.port.LanguageModelException;
import dev.companion.core.port.ModelRequest;
import dev.companion.core.port.ModelResult;
import dev.companion.core.port.TextSink;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A model the test drives step by step: each step emits a delta, finishes, or fails. It waits for
 * the next step (or for cancellation), so a test controls exactly where in a turn it acts.
 */
final class ScriptedModel implements LanguageModel {

    sealed interface Step {
    }

    record Delta(String text) implements Step {
    }

    record Finish() implements Step {
    }

    record Fail(LanguageModelException failure) implements Step {
    }

    final List<ModelRequest> requests = new CopyOnWriteArrayList<>();
    final BlockingQueue<Step> steps = new LinkedBlockingQueue<>();
    final CountDownLatch started = new CountDownLatch(1);
    final CountDownLatch stopped = new CountDownLatch(1);
    volatile boolean sawCancellation;

    void delta(String text) {
        steps.add(new Delta(text));
    }

    void finish() {
        steps.add(new Finish());
    }

    void fail(LanguageModelException failure) {
        steps.add(new Fail(failure));
    }

    @Override
    public ProviderInfo provider() {
        return new ProviderInfo("scripted", "scripted-1", true, Optional.empty(), Optional.empty());
    }

    @Override
    public ModelResult stream(ModelRequest request, TextSink sink, CancellationSignal cancellation) {
        requests.add(request);
        started.countDown();
        try {
            while (true) {
                Step step = steps.poll(20, TimeUnit.MILLISECONDS);
                if (cancellation.isCancelled()) {
                    sawCancellation = true;
                    return ModelResult.finished("cancelled");
                }
                if (step instanceof Delta delta) {
                    sink.accept(delta.text());
                } else if (step instanceof Finish) {
                    return ModelResult.finished("end_turn");
                } else if (step instanceof Fail fail) {
                    throw fail.failure();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ModelResult.finished("interrupted");
        } finally {
            stopped.countDown();
        }
    }
}
