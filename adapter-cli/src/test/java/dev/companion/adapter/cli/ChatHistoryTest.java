package dev.companion.adapter.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class ChatHistoryTest {

    @TempDir
    Path directory;

    private final StringWriter err = new StringWriter();

    private ChatHistory history(Path file) {
        return new ChatHistory(file, new PrintWriter(err, true));
    }

    @Test
    void entries_with_line_breaks_and_backslashes_come_back_as_they_were() {
        Path file = directory.resolve("sub").resolve("history");
        List<String> entries = List.of("one line", "two\nlines", "a \\ backslash\\n not a break", "cr\r");
        entries.forEach(history(file)::append);

        assertThat(history(file).load()).containsExactlyElementsOf(entries);
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void only_the_newest_entries_are_kept_and_the_file_is_trimmed() throws Exception {
        Path file = directory.resolve("history");
        List<String> many = new ArrayList<>();
        IntStream.range(0, ChatHistory.MAX_ENTRIES * 2).forEach(i -> many.add("entry " + i));
        Files.write(file, many);

        List<String> loaded = history(file).load();

        assertThat(loaded).hasSize(ChatHistory.MAX_ENTRIES).last().isEqualTo("entry " + (ChatHistory.MAX_ENTRIES * 2 - 1));
        assertThat(Files.readAllLines(file)).hasSize(ChatHistory.MAX_ENTRIES);
    }

    @Test
    void a_file_that_cannot_be_used_is_said_once_by_type_without_its_path() throws Exception {
        Files.createDirectories(directory.resolve("history"));
        ChatHistory history = history(directory.resolve("history"));

        history.append("one");
        history.append("two");

        assertThat(err.toString().lines()).hasSize(1);
        assertThat(err.toString()).startsWith("note: the chat history is not kept").doesNotContain(directory.toString());
    }
}
