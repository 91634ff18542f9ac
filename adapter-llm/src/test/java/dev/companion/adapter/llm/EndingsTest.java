package dev.companion.adapter.llm;

import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.Severity;
import dev.companion.core.port.ModelResult;
import dev.companion.core.port.ModelResult.Ending;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class EndingsTest {

    @ParameterizedTest
    @CsvSource({
            "stop, COMPLETED", "end_turn, COMPLETED", "stop_sequence, COMPLETED", "tool_calls, COMPLETED",
            "pause_turn, COMPLETED", "eos, COMPLETED", "length, TRUNCATED", "max_tokens, TRUNCATED",
            "model_context_window_exceeded, TRUNCATED", "content_filter, FILTERED", "SAFETY, FILTERED",
            "refusal, REFUSED"})
    void a_stop_reason_names_how_the_reply_ended(String stopReason, Ending ending) {
        assertThat(Endings.of(stopReason)).isEqualTo(ending);
    }

    @Test
    void each_ending_that_is_not_whole_has_its_own_warning_in_plain_words() {
        for (Ending ending : List.of(Ending.TRUNCATED, Ending.FILTERED, Ending.REFUSED)) {
            for (boolean textArrived : List.of(true, false)) {
                Diagnostic diagnostic = Endings.diagnostic(ending, Optional.of("whatever"), textArrived).orElseThrow();

                assertThat(diagnostic.code()).isEqualTo(ending.diagnosticCode().orElseThrow());
                assertThat(diagnostic.severity()).isEqualTo(Severity.WARNING);
                assertThat(diagnostic.message()).endsWith(".").doesNotContain("whatever");
            }
        }
        assertThat(Endings.diagnostic(Ending.COMPLETED, Optional.of("stop"), true)).isEmpty();
        assertThat(Endings.diagnostic(Ending.CANCELLED, Optional.empty(), true)).isEmpty();
    }

    @Test
    void the_warning_names_the_stop_reason_that_led_to_it() {
        assertThat(Endings.diagnostic(Ending.TRUNCATED, Optional.of("max_tokens"), true).orElseThrow().message())
                .contains("stop reason max_tokens").contains("text that arrived is kept");
        assertThat(Endings.diagnostic(Ending.REFUSED, Optional.of("stop"), true).orElseThrow().message())
                .doesNotContain("stop reason");
    }

    @Test
    void a_result_that_is_not_whole_cannot_be_made_without_its_warning() {
        assertThatIllegalArgumentException().isThrownBy(() ->
                new ModelResult(Ending.TRUNCATED, Optional.of("length"), Optional.empty(), List.of()))
                .withMessageContaining("provider_reply_truncated");
        ModelResult truncated = new ModelResult(Ending.TRUNCATED, Optional.of("length"), Optional.empty(),
                List.of(Endings.diagnostic(Ending.TRUNCATED, Optional.of("length"), true).orElseThrow()));

        assertThat(truncated.endingDiagnostic()).hasValueSatisfying(d ->
                assertThat(d.code()).isEqualTo(DiagnosticCode.PROVIDER_REPLY_TRUNCATED));
        assertThat(truncated.ending().complete()).isFalse();
    }

    @Test
    void a_model_that_only_knows_stop_reasons_still_says_completed_or_cancelled() {
        assertThat(ModelResult.finished("end_turn").ending()).isEqualTo(Ending.COMPLETED);
        assertThat(ModelResult.finished("cancelled").ending()).isEqualTo(Ending.CANCELLED);
        assertThat(ModelResult.cancelled(List.of()).stopReason()).contains("cancelled");
    }
}
