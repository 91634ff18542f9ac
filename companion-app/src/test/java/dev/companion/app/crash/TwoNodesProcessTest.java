package dev.companion.app.crash;

import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.app.crash.CompanionClient.Answer;
import dev.companion.app.crash.CompanionClient.Item;
import dev.companion.core.port.PromptNames;
import dev.companion.prompts.ClasspathPromptCatalog;
import dev.companion.store.postgres.PostgresCluster;
import dev.companion.store.postgres.PostgresDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two {@code companion serve} processes on one real PostgreSQL database, as an operator runs them
 * behind a load balancer: one turn per conversation across both, a stream on one node following a
 * turn on the other and resuming on either, and a node killed with SIGKILL mid-reply whose
 * conversation the other node frees once the lease runs out.
 */
class TwoNodesProcessTest {

    @RegisterExtension
    static final PostgresDatabase DATABASE = PostgresDatabase.empty();

    private static final Duration READY = Duration.ofSeconds(60);
    private static final Duration EVENT = Duration.ofSeconds(30);
    private static final String LEASE = "2s";

    private final List<ServerProcess> started = new ArrayList<>();
    private final List<SseStream> streams = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @AfterEach
    void cleanUp() throws InterruptedException {
        streams.forEach(SseStream::close);
        for (ServerProcess server : started) {
            server.close();
        }
    }

    private record Node(ServerProcess process, URI base, CompanionClient client) {
    }

    private Node node(Duration pause) throws IOException, InterruptedException {
        ServerProcess server = ServerProcess.serveOnStore(DATABASE.url(), PostgresCluster.PASSWORD, pause, LEASE);
        started.add(server);
        URI base = server.awaitBaseUri(READY)
                .orElseThrow(() -> new AssertionError("the server did not start: " + server.output()));
        return new Node(server, base, new CompanionClient(base));
    }

    private static String fullReplyTo(String message) {
        return new ClasspathPromptCatalog().render(PromptNames.OFFLINE_REPLY, Map.of(
                "characters", Integer.toString(message.codePointCount(0, message.length())),
                "words", Integer.toString(message.trim().split("\\s+").length)));
    }

    private static String created(Answer answer) {
        assertThat(answer.status()).as("create answered %s", answer).isEqualTo(201);
        return answer.body().get("conversation").get("id").asText();
    }

    private static Answer send(Node node, String conversation, String content) throws Exception {
        return node.client().post("/api/conversations/" + conversation + "/messages",
                CompanionClient.JSON.createObjectNode().put("content", content).toString());
    }

    // ---- (a) one turn per conversation across nodes ---------------------------------------------

    @Test
    void concurrent_sends_to_one_conversation_on_two_nodes_accept_exactly_one_and_the_other_is_busy()
            throws Exception {
        Node a = node(Duration.ofMillis(40));
        Node b = node(Duration.ofMillis(40));
        String conversation = created(a.client().post("/api/conversations", "{\"title\":\"race\"}"));
        ExecutorService senders = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 3; round++) {
                // Opened first, so the turn's end (published once its lease is given back) is not missed.
                SseStream ends = follow(a.base(), "/api/events?conversation=" + conversation, Optional.empty());
                CountDownLatch go = new CountDownLatch(1);
                String message = "round " + round;
                Callable<Answer> onA = () -> {
                    go.await();
                    return send(a, conversation, message + " from a");
                };
                Callable<Answer> onB = () -> {
                    go.await();
                    return send(b, conversation, message + " from b");
                };
                Future<Answer> fromA = senders.submit(onA);
                Future<Answer> fromB = senders.submit(onB);
                go.countDown();
                List<Answer> answers = List.of(fromA.get(60, TimeUnit.SECONDS), fromB.get(60, TimeUnit.SECONDS));
                assertThat(answers).extracting(Answer::status).containsExactlyInAnyOrder(202, 409);
                Answer accepted = answers.stream().filter(x -> x.status() == 202).findFirst().orElseThrow();
                Answer busy = answers.stream().filter(x -> x.status() == 409).findFirst().orElseThrow();
                assertThat(busy.body().get("state").asText()).isEqualTo("busy");
                assertThat(busy.body().get("diagnostics").get(0).get("code").asText()).isEqualTo("companion_busy");
                String turn = accepted.body().get("turn_id").asText();
                assertThat(busy.body().get("running_turn_id").asText()).isEqualTo(turn);
                JsonNode ended;
                do {
                    ended = ends.next("turn_completed");
                } while (!ended.get("turn_id").asText().equals(turn));
            }
            List<Item> items = b.client().transcript("/api/conversations/" + conversation);
            assertThat(items).hasSize(6);
            assertThat(items).extracting(Item::status).containsExactly("accepted", "completed", "accepted",
                    "completed", "accepted", "completed");
            for (int i = 0; i < 6; i += 2) {
                assertThat(items.get(i + 1).turnId()).isEqualTo(items.get(i).turnId());
                assertThat(items.get(i + 1).content()).isEqualTo(fullReplyTo(items.get(i).content()));
            }
        } finally {
            senders.shutdownNow();
        }
    }

    // ---- (c) a node killed mid-reply ------------------------------------------------------------

    @Test
    void a_node_killed_mid_reply_leaves_the_turn_interrupted_with_its_text_and_the_other_node_answers_after_the_lease()
            throws Exception {
        Node a = node(Duration.ofMillis(250));
        Node b = node(Duration.ofMillis(1));
        String conversation = created(a.client().post("/api/conversations", "{}"));
        String message = "tell me a long story about two servers";

        SseStream onB = follow(b.base(), "/api/events?conversation=" + conversation, Optional.empty());
        assertThat(send(a, conversation, message).status()).isEqualTo(202);
        JsonNode delta = onB.next("text_delta");
        String turn = delta.get("turn_id").asText();

        Answer meanwhile = send(b, conversation, "me too");
        assertThat(meanwhile.status()).as("a send on B while A answers").isEqualTo(409);

        a.process().kill();
        long killed = System.nanoTime();
        assertThat(a.process().awaitExit(READY)).isEqualTo(137);

        // B notices on its own (its sweep) once the lease has run out, and says so to its readers.
        JsonNode ended = onB.next("turn_failed");
        long noticedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
        assertThat(ended.get("turn_id").asText()).isEqualTo(turn);
        List<Item> items = b.client().transcript("/api/conversations/" + conversation);
        assertThat(items).hasSize(2);
        assertThat(items.get(1).status()).isEqualTo("interrupted");
        assertThat(items.get(1).turnId()).isEqualTo(turn);
        assertThat(items.get(1).content()).startsWith(delta.get("text").asText());
        assertThat(fullReplyTo(message)).startsWith(items.get(1).content());

        Answer again = b.client().post("/api/conversations/" + conversation + "/messages?wait=true",
                "{\"content\":\"are you back?\"}");
        long usableMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.body().get("outcome").asText()).isEqualTo("completed");
        System.out.printf("[measure] dead node (lease %s): its turn reported interrupted on the other node %d ms "
                + "after kill -9; conversation answered again %d ms after%n", LEASE, noticedMillis, usableMillis);
    }

    // ---- (b) a stream on one node following a turn on the other ----------------------------------

    @Test
    void a_stream_on_one_node_follows_a_turn_on_the_other_in_order_and_resumes_on_either_by_last_event_id()
            throws Exception {
        Node a = node(Duration.ofMillis(20));
        Node b = node(Duration.ofMillis(20));
        String conversation = created(a.client().post("/api/conversations", "{}"));
        String message = "stream this to the other node please";

        SseStream onB = follow(b.base(), "/api/events", Optional.empty());
        long sentAt = System.nanoTime();
        Answer accepted = send(a, conversation, message);
        assertThat(accepted.status()).isEqualTo(202);
        String turn = accepted.body().get("turn_id").asText();

        List<JsonNode> seenOnB = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        long last = 0;
        while (true) {
            JsonNode event = onB.next(null);
            if (!event.path("turn_id").asText().equals(turn)) {
                continue;
            }
            assertThat(event.get("cursor").asLong()).isGreaterThan(last);
            last = event.get("cursor").asLong();
            seenOnB.add(event);
            if (event.get("type").asText().equals("text_delta")) {
                text.append(event.get("text").asText());
            }
            if (event.get("type").asText().equals("turn_completed")) {
                break;
            }
        }
        assertThat(seenOnB.get(0).get("type").asText()).isEqualTo("turn_started");
        assertThat(text.toString()).isEqualTo(fullReplyTo(message));
        System.out.printf("[measure] a turn on A followed on B: %d events in %d ms%n", seenOnB.size(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sentAt));

        // Resume on A from an id B gave out, halfway: the rest, the same ids, nothing twice.
        int half = seenOnB.size() / 2;
        String lastEventId = seenOnB.get(half).get("cursor").asText();
        SseStream resumedOnA = follow(a.base(), "/api/events", Optional.of(lastEventId));
        for (JsonNode expected : seenOnB.subList(half + 1, seenOnB.size())) {
            JsonNode event = resumedOnA.nextAny();
            while (!event.path("turn_id").asText().equals(turn)) {
                event = resumedOnA.nextAny();
            }
            assertThat(event).isEqualTo(expected);
        }
        // And on B itself, from the same id.
        SseStream resumedOnB = follow(b.base(), "/api/events?conversation=" + conversation, Optional.of(lastEventId));
        assertThat(resumedOnB.next("turn_completed").get("cursor")).isEqualTo(seenOnB.get(seenOnB.size() - 1).get("cursor"));

        // An id no node holds (never given out) is a reset, as for one node.
        SseStream unknown = follow(a.base(), "/api/events", Optional.of("999999999"));
        assertThat(unknown.next("reset")).isNotNull();
    }

    // ---- an SSE reader that can send Last-Event-ID ------------------------------------------------

    private SseStream follow(URI base, String path, Optional<String> lastEventId) throws InterruptedException {
        SseStream stream = new SseStream(http, base.resolve(path), lastEventId, EVENT);
        streams.add(stream);
        assertThat(stream.open.await(EVENT.toMillis(), TimeUnit.MILLISECONDS)).as("the stream opened").isTrue();
        return stream;
    }
}
