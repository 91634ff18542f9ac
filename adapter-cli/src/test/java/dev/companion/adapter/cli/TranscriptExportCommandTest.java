package dev.companion.adapter.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TranscriptExportCommandTest {

    private final RuntimeLauncher launcher = RuntimeLauncher.offline();

    @AfterEach
    void close() {
        launcher.close();
    }

    private void converse(int turns) {
        for (int i = 0; i < turns; i++) {
            assertThat(Cli.run(launcher, "send", "message " + i).exitCode()).isZero();
        }
    }

    @Test
    void json_export_writes_every_item_past_one_page() throws Exception {
        converse(110); // 220 items: more than the largest page

        Cli.Run run = Cli.run(launcher, "transcript", "--export", "json");

        assertThat(run.exitCode()).isZero();
        JsonNode export = new ObjectMapper().readTree(run.out());
        assertThat(export.get("state").asText()).isEqualTo("ready");
        assertThat(export.get("total_items").asLong()).isEqualTo(220);
        assertThat(export.get("items")).hasSize(220);
        assertThat(export.at("/items/218/content").asText()).isEqualTo("message 109");
        assertThat(export.at("/items/219/role").asText()).isEqualTo("assistant");
    }

    @Test
    void markdown_export_reads_as_a_conversation() {
        converse(2);

        Cli.Run run = Cli.run(launcher, "transcript", "--export", "markdown");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("# Conversation with Companion\n").contains("\n## You · ")
                .contains("\n```text\nmessage 1\n```\n").contains("\n## Companion · ");
        assertThat(run.out().split("\n## ", -1)).hasSize(5);
    }

    @Test
    void an_unknown_format_or_a_start_is_a_usage_error() {
        assertThat(Cli.run(launcher, "transcript", "--export", "pdf").exitCode()).isEqualTo(2);
        Cli.Run withStart = Cli.run(launcher, "transcript", "--export", "json", "--start", "3");
        assertThat(withStart.exitCode()).isEqualTo(2);
        assertThat(withStart.err()).contains("leave out --start");
    }
}
