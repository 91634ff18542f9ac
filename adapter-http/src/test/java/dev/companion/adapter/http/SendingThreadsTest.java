package dev.companion.adapter.http;

import dev.companion.core.model.ProviderInfo;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;
import dev.companion.core.port.CancellationSignal;
import dev.companion.core.port.HeldLanguageModel;
import dev.companion.core.port.LanguageModel;
import dev.companion.core.port.ModelRequest;
import dev.companion.core.port.ModelResult;
import dev.companion.core.port.TextSink;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sends, regenerates and edits run on the runtime's sending threads: the thread that takes the
 * message answers it, after the 202 or, for a send that waits, writing the whole answer itself at
 * the end (no thread waits); a server whose sending threads are all taken answers on its worker
 * threads instead.
 */
class SendingThreadsTest {

    /** The held model, noting where each reply was asked for: the thread and the calls on its stack. */
    private static final class WhereAsked implements LanguageModel {
        final HeldLanguageModel held = new HeldLanguageModel();
        final CompletableFuture<String> thread = new CompletableFuture<>();
        final CompletableFuture<List<String>> stack = new CompletableFuture<>();

        @Override
        public ProviderInfo provider() {
            return held.provider();
        }

        @Override
        public ModelResult stream(ModelRequest request, TextSink sink, CancellationSignal cancellation) {
            thread.complete(Thread.currentThread().getName());
            stack.complete(StackWalker.getInstance().walk(frames -> frames
                    .map(frame -> frame.getClassName().replaceAll("\\$.*", "") + "." + frame.getMethodName())
                    .collect(Collectors.toList())));
            return held.stream(request, sink, cancellation);
        }
    }

    @Test
    void a_send_is_accepted_and_then_answered_by_the_thread_that_took_it() throws Exception {
        WhereAsked model = new WhereAsked();
        try (Fixture fixture = Fixture.withModel(model)) {
            HttpResponse<String> accepted = fixture.postJson("/api/companion/messages", "{\"content\":\"hello\"}");

            // The 202 came while the model is still held: the answer went out before the turn ran.
            assertThat(accepted.statusCode()).isEqualTo(202);
            List<String> stack = model.stack.get(20, TimeUnit.SECONDS);
            assertThat(model.thread.get()).startsWith("companion-turn-");
            assertThat(stack).as("asked from the sending task, after the request's handler returned")
                    .contains("dev.companion.runtime.TurnThreads.runSender")
                    .noneMatch(call -> call.startsWith("dev.companion.adapter.http.CompanionApi."));
            model.held.script("hi");
            String turn = Json.MAPPER.readTree(accepted.body()).get("turn_id").asText();
            assertThat(fixture.awaitTurn(new TurnId(turn))).isInstanceOf(TurnOutcome.Completed.class);
            assertThat(fixture.get("/api/companion/transcript").body()).contains("\"content\":\"hi\"");
        }
    }

    @Test
    void a_send_that_waits_is_answered_by_the_thread_that_took_it_with_no_thread_waiting() throws Exception {
        WhereAsked model = new WhereAsked();
        model.held.script("whole ", "reply");
        try (Fixture fixture = Fixture.withModel(model)) {
            HttpResponse<String> finished = fixture.postJson("/api/companion/messages?wait=true", "{\"content\":\"hello\"}");

            assertThat(finished.statusCode()).isEqualTo(200);
            assertThat(finished.body()).contains("\"outcome\":\"completed\"").contains("\"content\":\"whole reply\"");
            assertThat(model.thread.get()).startsWith("companion-turn-");
            assertThat(model.stack.get()).as("asked from the sending task, after the request's handler returned")
                    .contains("dev.companion.runtime.TurnThreads.runSender")
                    .noneMatch(call -> call.startsWith("dev.companion.adapter.http.CompanionApi."));
        }
    }

    @Test
    void with_every_sending_thread_taken_sends_run_on_the_workers_and_are_answered_all_the_same() throws Exception {
        WhereAsked model = new WhereAsked();
        model.held.script("still ", "here");
        try (Fixture fixture = Fixture.withModelConfigured(model, server -> server.sendingThreads(task -> {
            throw new RejectedExecutionException("every sending thread is taken");
        }))) {
            HttpResponse<String> finished = fixture.postJson("/api/companion/messages?wait=true", "{\"content\":\"hello\"}");

            assertThat(finished.statusCode()).isEqualTo(200);
            assertThat(finished.body()).contains("\"content\":\"still here\"");
            assertThat(model.thread.get()).startsWith("companion-turn-");
            assertThat(model.stack.get()).doesNotContain("dev.companion.runtime.TurnThreads.runSender");
        }
    }
}
