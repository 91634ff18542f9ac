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
}
