package dev.companion.adapter.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class JsonTest {

    private static final ObjectMapper PARSER = new ObjectMapper();

    @Test
    void every_character_survives_a_round_trip_through_an_independent_parser() throws Exception {
        StringBuilder all = new StringBuilder();
        for (char c = 0; c < 0x3000; c++) {
            if (!Character.isSurrogate(c)) {
                all.append(c);
            }
        }
        all.append("\uD83D\uDE00 \"quotes\" \\ backslash");

        String written = Json.write(Map.of("text", all.toString()));

        assertThat(PARSER.readTree(written).get("text").asText()).isEqualTo(all.toString());
    }

    @Test
    void control_characters_and_javascript_line_separators_are_escaped() {
        String written = Json.write("a\u0000b\u001fc\nd\u2028e\u2029f\u007fg\th\"i\\");

        assertThat(written).isEqualTo("\"a\\u0000b\\u001fc\\nd\\u2028e\\u2029f\\u007fg\\th\\\"i\\\\\"");
        assertThat(written.chars().filter(c -> c < 0x20 || c == 0x2028 || c == 0x2029)).isEmpty();
    }

    @Test
    void a_lone_surrogate_is_escaped_so_the_output_stays_valid_utf8() {
        assertThat(Json.write("x\uD800y")).isEqualTo("\"x\\ud800y\"");
        assertThat(Json.write("\uDC00")).isEqualTo("\"\\udc00\"");
    }

    @Test
    void objects_keep_their_order_and_empty_optionals_are_null() throws Exception {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("z", 1L);
        value.put("a", Optional.empty());
        value.put("n", OptionalLong.of(4));
        value.put("e", OptionalLong.empty());
        value.put("list", List.of(true, false, "s"));
        value.put("nested", Map.of("k", 7));
        value.put("nothing", null);

        String written = Json.write(value);

        assertThat(written).isEqualTo(
                "{\"z\":1,\"a\":null,\"n\":4,\"e\":null,\"list\":[true,false,\"s\"],\"nested\":{\"k\":7},\"nothing\":null}");
        assertThat(PARSER.readTree(written).get("n").asLong()).isEqualTo(4);
    }

    @Test
    void values_with_no_json_form_are_refused() {
        assertThatIllegalArgumentException().isThrownBy(() -> Json.write(Arrays.asList(1.5)));
        assertThatIllegalArgumentException().isThrownBy(() -> Json.write(Map.of(1, "x")));
    }
}
