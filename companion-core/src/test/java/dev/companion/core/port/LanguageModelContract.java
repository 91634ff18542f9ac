package dev.companion.core.port;

import dev.companion.core.model.ProviderInfo;
import dev.companion.core.model.Role;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What every {@link LanguageModel} does, whatever is behind it: the offline model, a provider
 * adapter against a fake server, a test double. Extend it and say how to make the model.
 *
 * <p>{@link #model()} must answer any request with a reply of at least two pieces of text.
 */
public abstract class LanguageModelContract {

    /** Long enough for a loaded machine, short enough that a hang fails the build. */
    protected static final long DEADLINE_SECONDS = 10;

    /** A model that replies to any request in at least two deltas. */
    protected abstract LanguageModel model();

    /** A secret the model was configured with (an API key), which it must never show. */
    protected Optional<String> secret() {
        return Optional.empty();
    }

    protected ModelRequest request() {
        return new ModelRequest("You are a test companion.", List.of(
                new ChatMessage(Role.USER, "Hello"),
                new ChatMessage(Role.ASSISTANT, "Hi there."),
                new ChatMessage(Role.USER, "Say something, please.")));
    }

    @Test
    void streams_a_non_empty_reply_and_ends_normally() throws Exception {
        List<String> deltas = new CopyOnWriteArrayList<>();

        ModelResult result = within(() -> model().stream(request(), deltas::add, new CancellationSignal()));

        assertThat(deltas).hasSizeGreaterThanOrEqualTo(2).allSatisfy(delta -> assertThat(delta).isNotEmpty());
        assertThat(String.join("", deltas)).isNotBlank();
        assertThat(result).isNotNull();
        assertThat(result.stopReason()).isNotEqualTo(Optional.of("cancelled"));
        assertThat(result.ending()).isEqualTo(ModelResult.Ending.COMPLETED);
    }

    @Test
    void a_signal_cancelled_before_the_call_ends_it_without_any_delta() throws Exception {
        List<String> deltas = new CopyOnWriteArrayList<>();
        CancellationSignal cancellation = new CancellationSignal();
        cancellation.cancel();

        ModelResult result = within(() -> model().stream(request(), deltas::add, cancellation));

        assertThat(deltas).isEmpty();
        assertThat(result.ending()).isEqualTo(ModelResult.Ending.CANCELLED);
    }

    @Test
    void a_cancel_during_the_reply_stops_it_and_no_later_delta_reaches_the_sink() throws Exception {
        List<String> deltas = new CopyOnWriteArrayList<>();
        CancellationSignal cancellation = new CancellationSignal();
        TextSink cancelOnFirst = delta -> {
            deltas.add(delta);
            cancellation.cancel();
        };

        within(() -> model().stream(request(), cancelOnFirst, cancellation));

        assertThat(deltas).hasSize(1);
    }

    @Test
    void says_what_it_is_without_a_url_path_or_secret() {
        ProviderInfo info = model().provider();

        assertThat(info.kind()).isNotBlank();
        assertThat(info.model()).isNotBlank();
        info.host().ifPresent(host -> assertThat(host).doesNotContain("/", "?", "@"));
        secret().ifPresent(secret -> {
            assertThat(info.toString()).doesNotContain(secret);
            assertThat(model().toString()).doesNotContain(secret);
        });
    }

    @Test
    void a_model_serves_one_reply_after_another() throws Exception {
        LanguageModel model = model();
        List<String> first = new CopyOnWriteArrayList<>();
        List<String> second = new CopyOnWriteArrayList<>();

        within(() -> model.stream(request(), first::add, new CancellationSignal()));
        within(() -> model.stream(request(), second::add, new CancellationSignal()));

        assertThat(first).isNotEmpty();
        assertThat(second).isNotEmpty();
    }

    /** Runs a call on another thread and fails the test if it has not returned by the deadline. */
    protected static <T> T within(java.util.concurrent.Callable<T> call) throws Exception {
        CompletableFuture<T> future = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                future.complete(call.call());
            } catch (Throwable t) {
                future.completeExceptionally(t);
            }
        }, "language-model-contract");
        thread.setDaemon(true);
        thread.start();
        try {
            return future.get(DEADLINE_SECONDS, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }
}
