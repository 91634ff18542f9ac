package dev.companion.core;

import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.InvalidRequestException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class SendMessageCommandTest {

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "\n\t  "})
    void blank_messages_are_rejected_as_empty(String content) {
        assertThatExceptionOfType(InvalidRequestException.class)
                .isThrownBy(() -> SendMessageCommand.of(content))
                .satisfies(e -> assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.EMPTY_MESSAGE));
    }

    @Test
    void a_missing_message_is_rejected_as_empty() {
        assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> SendMessageCommand.of(null));
    }

    @Test
    void the_limit_counts_characters_as_a_person_does_not_utf16_units() {
        String emoji = "\uD83D\uDE00"; // one character, two UTF-16 units
        assertThat(SendMessageCommand.of(emoji.repeat(8_000)).content()).hasSize(16_000);
        assertThatExceptionOfType(InvalidRequestException.class)
                .isThrownBy(() -> SendMessageCommand.of(emoji.repeat(8_001)))
                .satisfies(e -> {
                    assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.MESSAGE_TOO_LONG);
                    assertThat(e.getMessage()).contains("8001").contains("8000");
                });
    }

    @Test
    void exactly_the_limit_is_accepted() {
        assertThat(SendMessageCommand.of("a".repeat(8_000)).content()).hasSize(8_000);
    }

    @Test
    void a_cancel_reason_is_bounded() {
        assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() ->
                new CancelCommand(java.util.Optional.empty(), java.util.Optional.of("x".repeat(501))));
    }

    @Test
    void a_message_with_a_nul_character_is_rejected_with_its_own_code() {
        assertThatExceptionOfType(InvalidRequestException.class)
                .isThrownBy(() -> SendMessageCommand.of("before\0after"))
                .satisfies(e -> {
                    assertThat(e.diagnostic().code()).isEqualTo(dev.companion.core.model.DiagnosticCode.MESSAGE_CONTAINS_NUL);
                    assertThat(e.state()).isEqualTo(dev.companion.core.model.CompanionState.REJECTED);
                });
    }
}
