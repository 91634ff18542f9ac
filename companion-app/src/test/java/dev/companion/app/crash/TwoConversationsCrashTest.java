package dev.companion.app.crash;

import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.app.crash.CompanionClient.Answer;
import dev.companion.app.crash.CompanionClient.Events;
import dev.companion.app.crash.CompanionClient.Item;
import dev.companion.core.port.PromptNames;
import dev.companion.prompts.ClasspathPromptCatalog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two conversations answering at once in a real server process, killed with SIGKILL while both
 * replies stream: after each restart every conversation holds only its own items, in order, the
 * replies cut short kept as {@code interrupted}, and both conversations answer again.
 */
class TwoConversationsCrashTest {

    private static final Duration READY = Duration.ofSeconds(60);
    private static final Duration EVENT = Duration.ofSeconds(30);

    @TempDir
    Path dataDir;

    private final List<ServerProcess> started = new ArrayList<>();

    @AfterEach
    void cleanUp() throws InterruptedException {
        for (ServerProcess server : started) {
            server.close();
        }
    }

    private CompanionClient serve(Duration pause) throws IOException, InterruptedException {
        ServerProcess server = ServerProcess.serve(dataDir, pause);
        started.add(server);
        URI base = server.awaitBaseUri(READY)
                .orElseThrow(() -> new AssertionError("the server did not start: " + server.output()));
        return new CompanionClient(base);
    }

    private static String fullReplyTo(String message) {
        return new ClasspathPromptCatalog().render(PromptNames.OFFLINE_REPLY, Map.of(
                "characters", Integer.toString(message.codePointCount(0, message.length())),
                "words", Integer.toString(message.trim().split("\\s+").length)));
    }

    @Test
    void both_conversations_keep_only_their_own_items_after_sigkill_mid_reply_in_both() throws Exception {
        CompanionClient client = serve(Duration.ofMillis(150));
        String first = created(client.post("/api/conversations", "{\"title\":\"apples\"}"));
        String second = created(client.post("/api/conversations", "{}"));
        String toFirst = "tell me about apples";
        String toSecond = "tell me about bananas please";

        try (Events events = client.follow("/api/events")) {
            assertThat(events.awaitOpen(EVENT)).isTrue();
            assertThat(send(client, first, toFirst).status()).isEqualTo(202);
            assertThat(send(client, second, toSecond).status()).isEqualTo(202);
            // Both replies are streaming: each conversation has had text.
            Set<String> streaming = new HashSet<>();
            while (streaming.size() < 2) {
                JsonNode event = events.next(EVENT).orElseThrow(() -> new AssertionError("no text from both"));
                assertThat(event).isNotSameAs(CompanionClient.END);
                if (event.get("type").asText().equals("text_delta")) {
                    streaming.add(event.get("conversation_id").asText());
                }
            }
            assertThat(streaming).containsExactlyInAnyOrder(first, second);
            started.get(0).kill();
            assertThat(started.get(0).awaitExit(READY)).isEqualTo(137);
        }

        client = serve(Duration.ofMillis(1));
        assertInterrupted(client.transcript("/api/conversations/" + first), toFirst);
        assertInterrupted(client.transcript("/api/conversations/" + second), toSecond);
        assertThat(client.transcript("/api/companion")).isEmpty();

        // Both answer again, in full, after the recovery; then a second kill loses nothing acknowledged.
        Answer again = client.post("/api/conversations/" + first + "/messages?wait=true", "{\"content\":\"more apples\"}");
        assertThat(again.body().get("outcome").asText()).isEqualTo("completed");
        Answer other = client.post("/api/conversations/" + second + "/messages?wait=true", "{\"content\":\"more\"}");
        assertThat(other.body().get("outcome").asText()).isEqualTo("completed");
        started.get(1).kill();
        started.get(1).awaitExit(READY);

        client = serve(Duration.ofMillis(1));
        List<Item> apples = client.transcript("/api/conversations/" + first);
        List<Item> bananas = client.transcript("/api/conversations/" + second);
        assertThat(apples).extracting(Item::content).startsWith(toFirst).contains("more apples", fullReplyTo("more apples"));
        assertThat(bananas).extracting(Item::content).startsWith(toSecond).contains("more", fullReplyTo("more"));
        assertThat(apples).extracting(Item::sequence).containsExactly(0L, 1L, 2L, 3L);
        assertThat(bananas).extracting(Item::sequence).containsExactly(0L, 1L, 2L, 3L);
        assertThat(apples).extracting(Item::status).containsExactly("accepted", "interrupted", "accepted", "completed");
        assertThat(bananas).extracting(Item::status).containsExactly("accepted", "interrupted", "accepted", "completed");
        JsonNode list = client.get("/api/conversations").body().get("conversations");
        List<String> titles = new ArrayList<>();
        list.forEach(conversation -> titles.add(conversation.get("title").asText()));
        assertThat(titles).contains("apples", toSecond);
    }

    private static String created(Answer answer) {
        assertThat(answer.status()).as("create answered %s", answer).isEqualTo(201);
        return answer.body().get("conversation").get("id").asText();
    }

    private static Answer send(CompanionClient client, String conversation, String content) throws Exception {
        return client.post("/api/conversations/" + conversation + "/messages",
                CompanionClient.JSON.createObjectNode().put("content", content).toString());
    }

    private static void assertInterrupted(List<Item> items, String message) {
        assertThat(items).hasSize(2);
        assertThat(items.get(0).content()).isEqualTo(message);
        assertThat(items.get(0).status()).isEqualTo("accepted");
        assertThat(items.get(1).status()).isEqualTo("interrupted");
        assertThat(items.get(1).turnId()).isEqualTo(items.get(0).turnId());
        assertThat(fullReplyTo(message)).startsWith(items.get(1).content());
    }
}
