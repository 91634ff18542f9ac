package dev.companion.runtime;

import dev.companion.core.Companion;
import dev.companion.core.SendMessageCommand;
import dev.companion.core.SendResult;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.ProviderInfo;
import dev.companion.core.model.TurnOutcome;
import dev.companion.core.port.CancellationSignal;
import dev.companion.core.port.LanguageModel;
import dev.companion.core.port.ModelRequest;
import dev.companion.core.port.ModelResult;
import dev.companion.core.port.TextSink;
import dev.companion.prompts.ClasspathPromptCatalog;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** A reply the provider ended early is kept with what arrived, and its status and diagnostic say how it ended. */
class ReplyEndingsTest {

    private record EndingModel(ModelResult.Ending ending) implements LanguageModel {
        @Override
        public ProviderInfo provider() {
            return new ProviderInfo("ending", "ending-1", true, Optional.empty(), Optional.empty());
        }

        @Override
        public ModelResult stream(ModelRequest request, TextSink sink, CancellationSignal cancellation) {
            sink.accept("The first half");
            List<Diagnostic> notes = ending.diagnosticCode()
                    .map(code -> List.of(Diagnostic.warning(code, "The provider ended the reply early.")))
                    .orElse(List.of());
            return new ModelResult(ending, Optional.of("provider's own words"), Optional.empty(), notes);
        }
    }

    @ParameterizedTest
    @CsvSource({
            "COMPLETED, COMPLETED, ",
            "TRUNCATED, TRUNCATED, PROVIDER_REPLY_TRUNCATED",
            "FILTERED, FILTERED, PROVIDER_REPLY_FILTERED",
            "REFUSED, REFUSED, PROVIDER_REPLY_REFUSED"})
    void the_reply_keeps_its_text_and_its_status_says_how_the_provider_ended_it(
            ModelResult.Ending ending, ItemStatus status, DiagnosticCode diagnostic) throws Exception {
        try (CompanionRuntime runtime = CompanionRuntime.builder().prompts(new ClasspathPromptCatalog())
                .model(new EndingModel(ending)).build()) {
            Companion companion = runtime.companion();
            var accepted = (SendResult.Accepted) companion.send(SendMessageCommand.of("Tell me everything"));

            TurnOutcome outcome = companion.awaitTurn(accepted.turn().id(), Duration.ofSeconds(10)).orElseThrow();

            assertThat(outcome).isInstanceOf(TurnOutcome.Completed.class);
            assertThat(outcome.state()).isEqualTo(CompanionState.READY);
            assertThat(outcome.reply().orElseThrow().status()).isEqualTo(status);
            assertThat(outcome.reply().orElseThrow().content()).isEqualTo("The first half");
            if (diagnostic == null) {
                assertThat(outcome.diagnostics()).isEmpty();
            } else {
                assertThat(outcome.diagnostics()).extracting(Diagnostic::code).containsExactly(diagnostic);
            }
        }
    }

    /** Reasons, then answers, and counts tokens; remembers what it was sent. */
    private static final class ReasoningModel implements LanguageModel {
        final List<ModelRequest> requests = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public ProviderInfo provider() {
            return new ProviderInfo("reasoner", "r-1", true, Optional.empty(), Optional.empty());
        }

        @Override
        public ModelResult stream(ModelRequest request, TextSink sink, CancellationSignal cancellation) {
            requests.add(request);
            sink.reasoning("First, ");
            sink.reasoning("consider the question.");
            sink.accept("The answer is 42.");
            return new ModelResult(ModelResult.Ending.COMPLETED, Optional.of("stop"),
                    Optional.of(new dev.companion.core.model.TokenUsage(100, 30, 12)), List.of());
        }
    }

    @org.junit.jupiter.api.Test
    void reasoning_streams_as_its_own_events_is_kept_beside_the_reply_and_never_sent_back() throws Exception {
        ReasoningModel model = new ReasoningModel();
        try (CompanionRuntime runtime = CompanionRuntime.builder().prompts(new ClasspathPromptCatalog())
                .model(model).build()) {
            Companion companion = runtime.companion();
            EventRecorder events = new EventRecorder();
            companion.subscribe(companion.latestCursor(), events);
            var first = (SendResult.Accepted) companion.send(SendMessageCommand.of("What is the answer?"));
            TurnOutcome outcome = companion.awaitTurn(first.turn().id(), Duration.ofSeconds(10)).orElseThrow();

            var reply = outcome.reply().orElseThrow();
            assertThat(reply.content()).isEqualTo("The answer is 42.");
            assertThat(reply.details().reasoning()).isEqualTo("First, consider the question.");
            assertThat(reply.details().reasoningTime()).isPresent();
            assertThat(reply.details().usage()).contains(new dev.companion.core.model.TokenUsage(100, 30, 12));
            assertThat(events.events()).filteredOn(e -> e instanceof dev.companion.core.event.CompanionEvent.ReasoningDelta)
                    .extracting(e -> ((dev.companion.core.event.CompanionEvent.ReasoningDelta) e).text())
                    .containsExactly("First, ", "consider the question.");

            var second = (SendResult.Accepted) companion.send(SendMessageCommand.of("Why?"));
            companion.awaitTurn(second.turn().id(), Duration.ofSeconds(10)).orElseThrow();
            assertThat(model.requests.get(1).messages()).extracting(dev.companion.core.port.ChatMessage::content)
                    .containsExactly("What is the answer?", "The answer is 42.", "Why?");
        }
    }
}
