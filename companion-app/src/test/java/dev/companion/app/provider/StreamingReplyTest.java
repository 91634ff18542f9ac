package dev.companion.app.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.companion.adapter.llm.FakeProvider.Received;
import dev.companion.app.provider.AppClient.Answer;
import dev.companion.app.provider.AppClient.Event;
import dev.companion.app.provider.AppClient.Feed;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Done means, for a working provider: the real app server, started as {@code serve --provider
 * openai|anthropic --base-url http://127.0.0.1:<port>… --model …}, streams the provider's reply as
 * events into the transcript, and its status names the live provider without the key or the URL.
 */
class StreamingReplyTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String key = "sk-e2e-" + UUID.randomUUID();
    private Stage stage;

    @AfterEach
    void stop() {
        if (stage != null) {
            stage.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Stage.Wire.class)
    void a_message_streams_the_providers_reply_into_the_events_and_the_transcript(Stage.Wire wire) throws Exception {
        stage = Stage.start(wire, key);
        AppClient api = stage.api;
        Feed feed = api.follow();

        Answer accepted = api.send("hi");
        assertThat(accepted.status()).isEqualTo(202);
        assertThat(accepted.json().path("state").asText()).isEqualTo("accepted");
        String turn = accepted.json().path("turn_id").asText();

        Event end = feed.awaitTurnEnd(turn);
        assertThat(end.type()).isEqualTo("turn_completed");
        assertThat(end.data().path("state").asText()).isEqualTo("ready");
        assertThat(end.data().path("outcome").asText()).isEqualTo("completed");
        assertThat(end.data().path("reply").path("content").asText()).isEqualTo("Hello there, friend!");
        assertThat(feed.deltas(turn)).as("the reply arrives in pieces, in order").isEqualTo(Stage.REPLY_DELTAS);
        List<String> order = feed.events().stream().filter(e -> e.turnId().equals(turn)).map(Event::type).toList();
        assertThat(order).containsExactly("turn_started", "text_delta", "text_delta", "text_delta", "turn_completed");
        List<Long> cursors = feed.events().stream().map(e -> Long.parseLong(e.id())).toList();
        assertThat(cursors).isSorted().doesNotHaveDuplicates();

        JsonNode reply = api.lastItem("assistant");
        assertThat(reply.path("content").asText()).isEqualTo("Hello there, friend!");
        assertThat(reply.path("source").asText()).isEqualTo(wire.source());
        assertThat(reply.path("status").asText()).isEqualTo("completed");
        assertThat(reply.path("turn_id").asText()).isEqualTo(turn);
        assertThat(api.lastItem("user").path("source").asText()).isEqualTo("http");

        Received request = stage.provider.received().get(0);
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.path()).isEqualTo(wire.endpoint);
        assertThat(request.headers()).containsEntry(wire.keyHeader, wire.keyPrefix + key);
        JsonNode body = JSON.readTree(request.body());
        assertThat(body.path("stream").asBoolean()).isTrue();
        assertThat(body.path("model").asText()).isEqualTo(wire.model);
        assertThat(request.body()).contains("\"hi\"");
    }

    @ParameterizedTest
    @EnumSource(Stage.Wire.class)
    void status_names_the_live_provider_by_kind_model_and_host_only(Stage.Wire wire) {
        stage = Stage.start(wire, key);

        Answer status = stage.api.status();
        assertThat(status.status()).isEqualTo(200);
        JsonNode provider = status.json().path("provider");
        assertThat(provider.path("kind").asText()).isEqualTo(wire.source());
        assertThat(provider.path("model").asText()).isEqualTo(wire.model);
        assertThat(provider.path("live").asBoolean()).isTrue();
        assertThat(provider.path("host").asText()).isEqualTo("127.0.0.1");
        assertThat(provider.path("reason").asText()).isEqualTo("--provider " + wire.source());
        assertThat(status.json().path("state").asText()).isEqualTo("ready");
        assertThat(status.json().path("transport").path("limitation").isNull())
                .as("a live provider has no offline notice").isTrue();
        assertThat(status.json().path("diagnostics").findValuesAsText("code")).doesNotContain("provider_offline");

        String fakePort = String.valueOf(Stage.baseUrl(wire, stage.provider).getPort());
        assertThat(status.body()).doesNotContain(key).doesNotContain(":" + fakePort).doesNotContain("/v1");
        assertThat(stage.server.status().toString()).doesNotContain(key);
    }

    @ParameterizedTest
    @EnumSource(Stage.Wire.class)
    void the_next_message_carries_the_conversation_so_far_and_nothing_hidden(Stage.Wire wire) {
        stage = Stage.start(wire, key);

        Answer first = stage.api.sendAndWait("What is a good name for a cat?");
        Answer second = stage.api.sendAndWait("And for a dog?");

        for (Answer answer : List.of(first, second)) {
            assertThat(answer.status()).isEqualTo(200);
            assertThat(answer.json().path("state").asText()).isEqualTo("ready");
            assertThat(answer.json().path("outcome").asText()).isEqualTo("completed");
            assertThat(answer.json().path("reply").path("status").asText()).isEqualTo("completed");
        }
        assertThat(stage.provider.received()).hasSize(2);
        String request = stage.provider.received().get(1).body();
        assertThat(request).contains("What is a good name for a cat?", "Hello there, friend!", "And for a dog?");
        assertThat(request.indexOf("What is a good name for a cat?")).isLessThan(request.indexOf("Hello there, friend!"));
        assertThat(request.indexOf("Hello there, friend!")).isLessThan(request.indexOf("And for a dog?"));
    }
}
