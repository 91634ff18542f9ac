package dev.companion.adapter.llm;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class SseReaderTest {

    private static List<SseEvent> read(String text) throws IOException {
        SseReader reader = new SseReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
        List<SseEvent> events = new ArrayList<>();
        for (Optional<SseEvent> e = reader.next(); e.isPresent(); e = reader.next()) {
            events.add(e.get());
        }
        return events;
    }

    @Test
    void lf_crlf_and_cr_line_ends_read_alike() throws IOException {
        SseEvent expected = new SseEvent("delta", "x");

        assertThat(read("event: delta\ndata: x\n\n")).containsExactly(expected);
        assertThat(read("event: delta\r\ndata: x\r\n\r\n")).containsExactly(expected);
        assertThat(read("event: delta\rdata: x\r\r")).containsExactly(expected);
    }

    @Test
    void comments_are_skipped_and_data_lines_are_joined() throws IOException {
        assertThat(read(": keep-alive\n\ndata: {\"a\":\ndata:1}\n\n: bye\n"))
                .containsExactly(new SseEvent("message", "{\"a\":\n1}"));
    }

    @Test
    void only_one_space_after_the_colon_is_dropped_and_a_bom_is_ignored() throws IOException {
        assertThat(read("\uFEFFdata:  two spaces\n\n")).containsExactly(new SseEvent("message", " two spaces"));
    }

    @Test
    void a_blank_line_without_data_dispatches_nothing_and_resets_the_name() throws IOException {
        assertThat(read("event: ping\n\ndata: d\n\n")).containsExactly(new SseEvent("message", "d"));
    }

    @Test
    void a_last_event_without_its_blank_line_is_still_read() throws IOException {
        assertThat(read("data: [DONE]")).containsExactly(new SseEvent("message", "[DONE]"));
    }

    @Test
    void multi_byte_characters_survive_small_reads() throws IOException {
        byte[] bytes = "data: héllo → ✓\n\n".getBytes(StandardCharsets.UTF_8);
        SseReader reader = new SseReader(new ByteArrayInputStream(bytes) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 1));
            }
        });

        assertThat(reader.next()).contains(new SseEvent("message", "héllo → ✓"));
    }

    @Test
    void llama_cpp_s_error_field_is_read_as_an_error_event() throws IOException {
        assertThat(read("error: {\"code\":500}\n\ndata: [DONE]\n\n"))
                .containsExactly(new SseEvent("error", "{\"code\":500}"), new SseEvent("message", "[DONE]"));
    }
}
