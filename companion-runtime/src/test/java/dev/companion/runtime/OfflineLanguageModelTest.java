package dev.companion.runtime;

import dev.companion.core.Companion;
import dev.companion.core.SendMessageCommand;
import dev.companion.core.SendResult;
import dev.companion.core.model.CompanionStatus;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.Role;
import dev.companion.core.model.TurnOutcome;
import dev.companion.core.port.CancellationSignal;
import dev.companion.core.port.ChatMessage;
import dev.companion.core.port.ModelRequest;
import dev.companion.core.port.PromptNames;
import dev.companion.prompts.ClasspathPromptCatalog;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class OfflineLanguageModelTest {

    private final ClasspathPromptCatalog prompts = new ClasspathPromptCatalog();

    @Test
    void it_streams_the_offline_reply_from_the_prompts_in_pieces() {
        OfflineLanguageModel model = new OfflineLanguageModel(prompts, Duration.ZERO);
        List<String> deltas = new ArrayList<>();
        model.stream(new ModelRequest("system", List.of(new ChatMessage(Role.USER, "two words"))), deltas::add,
                new CancellationSignal());
        assertThat(deltas).hasSizeGreaterThan(10);
        assertThat(String.join("", deltas)).isEqualTo(prompts.render(PromptNames.OFFLINE_REPLY,
                java.util.Map.of("characters", "9", "words", "2")));
    }

    @Test
    void it_never_pretends_to_be_an_llm() {
        OfflineLanguageModel model = new OfflineLanguageModel(prompts);
        assertThat(model.provider().kind()).isEqualTo("offline");
        assertThat(model.provider().live()).isFalse();
        assertThat(model.provider().reason()).isPresent();
    }

    @Test
    void a_cancelled_signal_stops_it_before_the_next_piece() {
        OfflineLanguageModel model = new OfflineLanguageModel(prompts, Duration.ofMinutes(1));
        CancellationSignal signal = new CancellationSignal();
        List<String> deltas = new ArrayList<>();
        model.stream(new ModelRequest("system", List.of(new ChatMessage(Role.USER, "hi"))), delta -> {
            deltas.add(delta);
            signal.cancel();
        }, signal);
        assertThat(deltas).hasSize(1);
    }

    @Test
    void with_no_model_configured_the_runtime_runs_offline_and_every_surface_says_so() throws Exception {
        try (CompanionRuntime runtime = CompanionRuntime.builder().prompts(prompts).build()) {
            Companion companion = runtime.companion();
            CompanionStatus status = companion.status();
            assertThat(status.provider().kind()).isEqualTo("offline");
            assertThat(status.provider().live()).isFalse();
            assertThat(status.transport().limitation()).contains(prompts.text(PromptNames.OFFLINE_LIMITATION));
            assertThat(status.diagnostics()).extracting(Diagnostic::code).contains(DiagnosticCode.PROVIDER_OFFLINE);

            SendResult.Accepted accepted = (SendResult.Accepted) companion.send(SendMessageCommand.of("hello"));
            TurnOutcome outcome = companion.awaitTurn(accepted.turn().id(), Duration.ofSeconds(30)).orElseThrow();
            assertThat(outcome.reply().orElseThrow().source()).isEqualTo("offline");
            assertThat(outcome.reply().orElseThrow().status()).isEqualTo(ItemStatus.COMPLETED);
            assertThat(outcome.reply().orElseThrow().content()).contains("not from an LLM");
        }
    }
}
