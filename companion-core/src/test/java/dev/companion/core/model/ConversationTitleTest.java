package dev.companion.core.model;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class ConversationTitleTest {

    @Test
    void a_short_first_line_is_the_title_as_written() {
        assertThat(ConversationTitle.fromFirstMessage("Hello there\nsecond line")).isEqualTo("Hello there");
    }

    @Test
    void blank_lines_before_the_first_words_are_skipped_and_runs_of_space_become_one() {
        assertThat(ConversationTitle.fromFirstMessage("\n   \n  What   is\tthis?  ")).isEqualTo("What is this?");
    }

    @Test
    void a_long_first_line_is_cut_at_sixty_characters_on_a_word_boundary() {
        String title = ConversationTitle.fromFirstMessage(
                "Plan a three day walking trip through the old streets of Kyoto in spring");

        assertThat(title).isEqualTo("Plan a three day walking trip through the old streets of…");
        assertThat(title.codePointCount(0, title.length())).isLessThanOrEqualTo(61);
    }

    @Test
    void a_first_word_longer_than_the_limit_is_cut_inside_it_without_splitting_a_character() {
        String title = ConversationTitle.fromFirstMessage("🙂".repeat(70));

        assertThat(title).isEqualTo("🙂".repeat(60) + "…");
    }

    @Test
    void exactly_sixty_characters_are_kept_whole() {
        String sixty = "a".repeat(29) + " " + "b".repeat(30);

        assertThat(ConversationTitle.fromFirstMessage(sixty)).isEqualTo(sixty);
    }

    @Test
    void a_title_given_by_a_person_is_trimmed_and_must_be_one_nonempty_line_of_at_most_200_characters() {
        assertThat(ConversationTitle.validate("  Trip  ")).isEqualTo("Trip");
        for (String bad : new String[] {"", "   ", "two\nlines", "nul\0", "x".repeat(201)}) {
            assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> ConversationTitle.validate(bad))
                    .satisfies(e -> assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.INVALID_PARAMETER));
        }
    }

    @Test
    void conversation_ids_are_checked_and_a_malformed_one_from_outside_is_a_typed_rejection() {
        assertThat(ConversationId.parse("c-123_abc").value()).isEqualTo("c-123_abc");
        assertThat(ConversationId.random().value()).matches("c-[0-9a-f-]{36}");
        for (String bad : new String[] {"", "a/b", "..", "x".repeat(65), "sp ace"}) {
            assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> ConversationId.parse(bad));
        }
    }
}
