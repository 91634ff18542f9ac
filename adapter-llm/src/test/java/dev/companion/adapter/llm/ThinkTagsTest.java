package dev.companion.adapter.llm;

import dev.companion.adapter.llm.EventParser.Delta;
import dev.companion.adapter.llm.EventParser.Reasoning;
import dev.companion.adapter.llm.EventParser.Text;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ThinkTagsTest {

    /** What the splitter gives for {@code content} cut into the given pieces: reasoning, then text. */
    private static String[] split(String... pieces) {
        ThinkTags tags = new ThinkTags();
        List<Delta> out = new ArrayList<>();
        for (String piece : pieces) {
            out.addAll(tags.feed(piece));
        }
        out.addAll(tags.flush());
        StringBuilder reasoning = new StringBuilder();
        StringBuilder text = new StringBuilder();
        for (Delta delta : out) {
            assertThat(delta.text()).isNotEmpty();
            (delta instanceof Reasoning ? reasoning : text).append(delta.text());
        }
        return new String[] {reasoning.toString(), text.toString()};
    }

    @Test
    void a_leading_think_block_is_reasoning_and_the_blank_lines_after_it_are_dropped() {
        assertThat(split("<think>\nweighing it up</think>\n\nHello!")).containsExactly("\nweighing it up", "Hello!");
    }

    @Test
    void the_tags_may_be_cut_anywhere_and_the_outcome_is_the_same() {
        String content = "  <think>a < b, so </thin is not the end</think>\n\nThe answer is <think>kept</think>.";
        for (int first = 0; first <= content.length(); first++) {
            for (int second = first; second <= content.length(); second += 3) {
                String[] result = split(content.substring(0, first), content.substring(first, second),
                        content.substring(second));
                assertThat(result).as("cut at %d and %d", first, second)
                        .containsExactly("a < b, so </thin is not the end", "The answer is <think>kept</think>.");
            }
        }
    }

    @Test
    void one_character_at_a_time_works_too() {
        String content = "<think>step one, step two</think>Done.";
        String[] pieces = content.split("");

        assertThat(split(pieces)).containsExactly("step one, step two", "Done.");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Hello <think>not reasoning</think>", "<thinking>is a word here</thinking>", "<", "<thi",
            "I think, therefore"})
    void content_that_does_not_open_with_the_tag_is_all_text(String content) {
        assertThat(split(content)).containsExactly("", content);
    }

    @Test
    void a_think_block_that_never_closes_is_all_reasoning() {
        assertThat(split("<think>cut off by the token lim", "it</")).containsExactly("cut off by the token limit</", "");
    }

    @Test
    void an_empty_think_block_of_a_model_with_thinking_off_leaves_just_the_answer() {
        assertThat(split("<think>\n\n</think>\n\n", "Hi.")).containsExactly("\n\n", "Hi.");
    }

    @Test
    void history_loses_a_leading_think_block_and_nothing_else() {
        assertThat(ThinkTags.withoutLeadingThinking("<think>private</think>\n\nPublic answer."))
                .isEqualTo("Public answer.");
        assertThat(ThinkTags.withoutLeadingThinking("An answer that mentions <think> tags.")).isEqualTo(
                "An answer that mentions <think> tags.");
        assertThat(ThinkTags.withoutLeadingThinking("<think>never closed")).isEqualTo("<think>never closed");
    }
}
