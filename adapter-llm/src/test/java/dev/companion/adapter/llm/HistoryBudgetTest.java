package dev.companion.adapter.llm;

import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.Role;
import dev.companion.core.port.ChatMessage;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class HistoryBudgetTest {

    private static final List<ChatMessage> HISTORY = List.of(
            new ChatMessage(Role.USER, "1234567890"),
            new ChatMessage(Role.ASSISTANT, "1234567890"),
            new ChatMessage(Role.USER, "12345"),
            new ChatMessage(Role.ASSISTANT, "12345"),
            new ChatMessage(Role.USER, "123"));

    @Test
    void same_role_neighbours_are_joined_and_alternating_history_is_left_alone() {
        assertThat(HistoryBudget.alternating(HISTORY)).isEqualTo(HISTORY);
        assertThat(HistoryBudget.alternating(List.of(new ChatMessage(Role.USER, "a"), new ChatMessage(Role.USER, "b"),
                new ChatMessage(Role.ASSISTANT, "c"), new ChatMessage(Role.USER, "d"))))
                .containsExactly(new ChatMessage(Role.USER, "a\n\nb"), new ChatMessage(Role.ASSISTANT, "c"),
                        new ChatMessage(Role.USER, "d"));
    }

    @Test
    void history_within_the_budget_is_sent_whole_without_a_diagnostic() {
        HistoryBudget.Trimmed trimmed = HistoryBudget.trim(HISTORY, 33);

        assertThat(trimmed.messages()).isEqualTo(HISTORY);
        assertThat(trimmed.diagnostic()).isEmpty();
    }

    @Test
    void the_oldest_turns_go_first_and_the_kept_history_starts_with_the_user() {
        // 23 characters fit the last four messages, but they would start with the assistant.
        HistoryBudget.Trimmed trimmed = HistoryBudget.trim(HISTORY, 23);

        assertThat(trimmed.messages()).isEqualTo(HISTORY.subList(2, 5));
        assertThat(trimmed.diagnostic()).hasValueSatisfying(d -> {
            assertThat(d.code()).isEqualTo(DiagnosticCode.HISTORY_TRUNCATED);
            assertThat(d.message()).contains("2 earlier messages");
        });
    }

    @Test
    void the_newest_message_is_kept_even_when_it_alone_is_over_the_budget() {
        HistoryBudget.Trimmed trimmed = HistoryBudget.trim(HISTORY, 1);

        assertThat(trimmed.messages()).containsExactly(HISTORY.get(4));
    }
}
