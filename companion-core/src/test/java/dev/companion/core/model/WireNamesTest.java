package dev.companion.core.model;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class WireNamesTest {

    @Test
    void the_seven_states_have_their_wire_names() {
        assertThat(Arrays.stream(CompanionState.values()).map(CompanionState::wireName))
                .containsExactly("ready", "busy", "error", "timeout", "cancelled", "accepted", "rejected");
    }

    @Test
    void diagnostic_codes_are_stable_snake_case() {
        assertThat(Arrays.stream(DiagnosticCode.values()).map(DiagnosticCode::wireName))
                .allMatch(code -> code.matches("[a-z][a-z0-9]*(_[a-z0-9]+)*"))
                .doesNotHaveDuplicates();
    }

    @Test
    void a_diagnostic_needs_a_message() {
        assertThatIllegalArgumentException().isThrownBy(() -> Diagnostic.info(DiagnosticCode.NOT_FOUND, " "));
    }

    @Test
    void turn_ids_are_short_safe_tokens() {
        assertThat(TurnId.random().value()).matches("turn-[0-9a-f-]{36}");
        assertThatIllegalArgumentException().isThrownBy(() -> new TurnId("../../etc"));
        assertThatIllegalArgumentException().isThrownBy(() -> new TurnId(""));
    }

    @Test
    void a_page_links_to_its_neighbours() {
        TranscriptQuery.Window window = TranscriptQuery.from(30, 50).window(200);
        TranscriptPage page = TranscriptPage.of(window, 200, java.util.List.of(), java.util.List.of());
        assertThat(page.previousStart()).hasValue(0);
    }
}
