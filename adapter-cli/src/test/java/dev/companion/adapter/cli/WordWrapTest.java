package dev.companion.adapter.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

class WordWrapTest {

    private static final String TEXT = "Lisbon is a city of seven hills, trams and tiled facades; "
            + "eat pastéis de nata in Belém and watch the sun set from a miradouro.";

    private static String wrap(int width, int column, int chunk, String text) {
        StringWriter written = new StringWriter();
        PrintWriter out = new PrintWriter(written);
        WordWrap wrap = new WordWrap(out, width, column);
        for (int i = 0; i < text.length(); i += chunk) {
            wrap.accept(text.substring(i, Math.min(text.length(), i + chunk)));
        }
        wrap.finish();
        out.flush();
        return written.toString();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 5, 1000})
    void lines_break_between_words_however_the_text_is_cut_into_pieces(int chunk) {
        String wrapped = wrap(24, 0, chunk, TEXT);

        assertThat(wrapped.split("\n")).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(24));
        assertThat(wrapped.replace('\n', ' ')).isEqualTo(TEXT);
        assertThat(wrapped).isEqualTo(wrap(24, 0, 1000, TEXT));
        assertThat(wrapped.split("\n")[0]).isEqualTo("Lisbon is a city of");
    }

    @Test
    void the_first_line_starts_after_the_prompt() {
        assertThat(wrap(20, 11, 3, "one two three four")).isEqualTo("one two\nthree four");
    }

    @Test
    void the_texts_own_line_breaks_stay_and_spaces_at_a_break_go() {
        assertThat(wrap(10, 0, 4, "first     second\n\nthird line")).isEqualTo("first\nsecond\n\nthird line");
    }

    @Test
    void a_word_longer_than_a_line_is_cut_where_the_line_ends() {
        assertThat(wrap(8, 0, 3, "a incomprehensibilities b")).isEqualTo("a\nincompre\nhensibil\nities b");
    }

    @Test
    void wide_characters_take_two_columns() {
        String wrapped = wrap(10, 0, 2, "日本語 の 文章です");

        assertThat(Arrays.stream(wrapped.split("\n"))).containsExactly("日本語 の", "文章です");
    }

    @Test
    void without_a_width_text_passes_at_once_and_unchanged() {
        StringWriter written = new StringWriter();
        PrintWriter out = new PrintWriter(written);
        WordWrap wrap = new WordWrap(out, 0, 11);

        wrap.accept("half a wo");
        out.flush();

        assertThat(written.toString()).isEqualTo("half a wo");
    }
}
