package dev.companion.adapter.http;

import dev.companion.core.Companion;
import dev.companion.core.SendMessageCommand;
import dev.companion.core.SendResult;
import dev.companion.core.model.CompanionException;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.TranscriptEntry;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.port.StorageException;
import dev.companion.core.port.TranscriptStore;
import dev.companion.runtime.InMemoryTranscriptStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.sql.SQLTransientConnectionException;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * A shared database that cannot be reached ({@code store_unavailable}) is 503 with {@code Retry-After},
 * for a send as for a read: the client is asked to come back, and the store reconnects by itself.
 * Any other storage failure stays 500.
 */
class StoreUnavailableTest {

    private final OutageStore store = new OutageStore();
    private Fixture fixture = Fixture.withStore(store);

    @AfterEach
    void stop() {
        fixture.close();
    }

    /** An in-memory transcript whose database can be taken away, failing as the PostgreSQL store reports it. */
    static final class OutageStore implements TranscriptStore {
        private final InMemoryTranscriptStore kept = new InMemoryTranscriptStore();
        volatile boolean down;

        private void check() {
            if (down) {
                throw new StorageException(Diagnostic.error(DiagnosticCode.STORE_UNAVAILABLE,
                        "The transcript database cannot be reached right now."),
                        new SQLTransientConnectionException("db.internal:5432 refused"));
            }
        }

        @Override
        public TranscriptItem append(TranscriptEntry entry) {
            check();
            return kept.append(entry);
        }

        @Override
        public void supersede(Set<Long> sequences) {
            check();
            kept.supersede(sequences);
        }

        @Override
        public long size() {
            check();
            return kept.size();
        }

        @Override
        public List<TranscriptItem> read(long start, int limit) {
            check();
            return kept.read(start, limit);
        }

        @Override
        public void close() {
            kept.close();
        }
    }

    @Test
    void a_send_while_the_database_is_down_is_503_store_unavailable_with_retry_after_and_nothing_kept() {
        fixture.model.script("kept");
        assertThat(fixture.postJson("/api/companion/messages?wait=true", "{\"content\":\"before\"}").statusCode())
                .isEqualTo(200);
        store.down = true;

        HttpResponse<String> refused = fixture.postJson("/api/companion/messages", "{\"content\":\"during\"}");
        HttpResponse<String> perConversation = fixture.postJson("/api/conversations/default/messages",
                "{\"content\":\"during\"}");

        for (HttpResponse<String> response : List.of(refused, perConversation)) {
            assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
            assertThat(response.headers().firstValue("Retry-After")).hasValue("5");
            assertThat(Fixture.json(response).get("state").asText()).isEqualTo("error");
            assertThat(Fixture.json(response).at("/diagnostics/0/code").asText()).isEqualTo("store_unavailable");
            assertThat(response.body()).doesNotContain("db.internal");
        }
        store.down = false;
        assertThat(Fixture.json(fixture.get("/api/companion/transcript")).get("total_items").asInt()).isEqualTo(2);
    }

    @Test
    void a_read_the_store_cannot_answer_is_503_too_and_what_the_server_holds_itself_still_answers() {
        store.down = true;

        HttpResponse<String> transcript = fixture.get("/api/companion/transcript");
        HttpResponse<String> workers = fixture.get("/api/workers");

        assertThat(transcript.statusCode()).isEqualTo(503);
        assertThat(transcript.headers().firstValue("Retry-After")).hasValue("5");
        assertThat(Fixture.json(transcript).at("/diagnostics/0/code").asText()).isEqualTo("store_unavailable");
        assertThat(workers.statusCode()).isEqualTo(200);
    }

    @Test
    void the_http_client_reads_a_503_send_as_a_failed_send_and_a_503_read_as_the_stores_failure() {
        Companion remote = CompanionHttpServer.client(fixture.server.baseUri(), Optional.empty());
        store.down = true;

        SendResult result = remote.send(SendMessageCommand.of("during"));

        assertThat(result).isInstanceOf(SendResult.Failed.class);
        assertThat(result.diagnostics()).extracting(Diagnostic::code).containsExactly(DiagnosticCode.STORE_UNAVAILABLE);
        assertThatExceptionOfType(CompanionException.class)
                .isThrownBy(() -> remote.transcript(dev.companion.core.model.TranscriptQuery.newest(10)))
                .satisfies(e -> assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.STORE_UNAVAILABLE));
    }
}
