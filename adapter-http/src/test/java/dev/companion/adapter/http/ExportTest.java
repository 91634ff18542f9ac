package dev.companion.adapter.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptEntry;
import dev.companion.core.model.TurnId;
import dev.companion.runtime.InMemoryTranscriptStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class ExportTest {

    private static final int ITEMS = 450; // more than two pages, so paging is exercised
    private Fixture fixture;

    @BeforeEach
    void start() {
        InMemoryTranscriptStore store = new InMemoryTranscriptStore();
        for (int i = 0; i < ITEMS; i++) {
            store.append(new TranscriptEntry(i % 2 == 0 ? Role.USER : Role.ASSISTANT, "line " + i + " <b>\u2028",
                    Instant.parse("2026-11-24T10:00:00Z").plusSeconds(i), "java",
                    i == ITEMS - 1 ? ItemStatus.CANCELLED : ItemStatus.COMPLETED, TurnId.random()));
        }
        fixture = Fixture.withStore(store);
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void json_export_holds_the_whole_conversation_in_order() {
        HttpResponse<String> response = fixture.get("/api/companion/transcript/export?format=json");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json; charset=utf-8");
        assertThat(response.headers().firstValue("content-disposition")).get().asString()
                .contains("attachment").contains("companion-transcript.json");
        JsonNode body = Fixture.json(response);
        assertThat(body.get("state").asText()).isEqualTo("ready");
        assertThat(body.get("total_items").asLong()).isEqualTo(ITEMS);
        assertThat(body.get("items")).hasSize(ITEMS);
        for (int i = 0; i < ITEMS; i++) {
            assertThat(body.get("items").get(i).get("sequence").asLong()).isEqualTo(i);
        }
        assertThat(body.at("/items/449/content").asText()).isEqualTo("line 449 <b>\u2028");
        assertThat(body.at("/items/449/status").asText()).isEqualTo("cancelled");
    }

    @Test
    void json_is_the_default_format() {
        assertThat(Fixture.json(fixture.get("/api/companion/transcript/export")).get("items")).hasSize(ITEMS);
    }

    @Test
    void markdown_export_reads_as_a_conversation() {
        HttpResponse<String> response = fixture.get("/api/companion/transcript/export?format=markdown");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/markdown; charset=utf-8");
        String text = response.body();
        assertThat(text).startsWith("# Conversation with Companion\n");
        assertThat(text).contains("\n## You · 2026-11-24T10:00:00Z\n\n```text\nline 0 <b>");
        assertThat(text).contains("\n## Companion · 2026-11-24T10:07:29Z (cancelled)\n\n```markdown\nline 449");
        assertThat(text.split("\n## ", -1)).hasSize(ITEMS + 1);
    }

    @Test
    void an_unknown_format_is_rejected_as_a_bad_parameter() {
        HttpResponse<String> response = fixture.get("/api/companion/transcript/export?format=pdf");
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(Fixture.json(response).at("/diagnostics/0/code").asText()).isEqualTo("invalid_parameter");
    }
}
