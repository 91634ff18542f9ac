package dev.companion.adapter.llm;

import dev.companion.core.model.Role;
import dev.companion.core.port.CancellationSignal;
import dev.companion.core.port.ChatMessage;
import dev.companion.core.port.LanguageModel;
import dev.companion.core.port.LanguageModelException;
import dev.companion.core.port.ModelRequest;
import dev.companion.core.port.ModelResult;
import dev.companion.core.port.TextSink;
import dev.companion.adapter.llm.LanguageModels.Timeouts;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/** Shared helpers: the request sent, a bounded wait for a call, and the failure it ended in. */
final class Calls {

    static final String SYSTEM_PROMPT = "You are the Companion under test.";

    private Calls() {
    }

    static ModelRequest request() {
        return new ModelRequest(SYSTEM_PROMPT, List.of(
                new ChatMessage(Role.USER, "Hello"),
                new ChatMessage(Role.ASSISTANT, "Hi! How can I help?"),
                new ChatMessage(Role.USER, "Tell me something nice.")));
    }

    static Timeouts generous() {
        return new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(60));
    }

    /** The outcome of one call: the deltas and reasoning the sink saw and either a result or a failure. */
    record Outcome(List<String> deltas, List<String> reasoning, ModelResult result, Throwable failure) {

        String text() {
            return String.join("", deltas);
        }

        String reasoningText() {
            return String.join("", reasoning);
        }

        LanguageModelException failed() {
            if (!(failure instanceof LanguageModelException e)) {
                return fail("expected a LanguageModelException but got " + (failure == null ? "a result " + result : failure));
            }
            return e;
        }
    }

    static Outcome call(LanguageModel model) {
        return call(model, request(), new CancellationSignal());
    }

    static Outcome call(LanguageModel model, ModelRequest request, CancellationSignal cancellation) {
        return call(model, request, cancellation, delta -> { });
    }

    /** Also hands each delta and piece of reasoning to {@code alsoTo}, which may open a latch the fake waits on. */
    static Outcome call(LanguageModel model, ModelRequest request, CancellationSignal cancellation, TextSink alsoTo) {
        List<String> deltas = new CopyOnWriteArrayList<>();
        List<String> reasoning = new CopyOnWriteArrayList<>();
        TextSink sink = new TextSink() {
            @Override
            public void accept(String delta) {
                deltas.add(delta);
                alsoTo.accept(delta);
            }

            @Override
            public void reasoning(String delta) {
                reasoning.add(delta);
                alsoTo.reasoning(delta);
            }
        };
        CompletableFuture<ModelResult> future = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                future.complete(model.stream(request, sink, cancellation));
            } catch (Throwable t) {
                future.completeExceptionally(t);
            }
        }, "model-call");
        thread.setDaemon(true);
        thread.start();
        try {
            ModelResult result = future.get(15, TimeUnit.SECONDS);
            assertThat(result).isNotNull();
            return new Outcome(deltas, reasoning, result, null);
        } catch (ExecutionException e) {
            return new Outcome(deltas, reasoning, null, e.getCause());
        } catch (Exception e) {
            return fail("the call did not end in time", e);
        }
    }
}
