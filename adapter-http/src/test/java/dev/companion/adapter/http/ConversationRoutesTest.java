package dev.companion.adapter.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.TranscriptQuery;
import dev.companion.core.model.TurnId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code /api/conversations} and {@code /api/conversations/{id}/*} against a real runtime. */
class ConversationRoutesTest {

    private Fixture fixture = Fixture.start();

    @AfterEach
    void stop() {
        try {
            ResponseRules.assertEverySafe(fixture.responses, (what, response) -> {
                assertThat(response.headers().firstValue("Cache-Control")).as(what).hasValue("no-store");
                if (!response.uri().getPath().endsWith("/export")) {
                    assertThat(response.headers().firstValue("Content-Type")).as(what)
                            .hasValue("application/json; charset=utf-8");
                }
                if (response.statusCode() != 200 || !response.uri().getPath().endsWith("/export")) {
                    JsonNode body = Fixture.json(response);
                    assertThat(body.has("state")).as(what + " has a state").isTrue();
                    assertThat(body.get("diagnostics").isArray()).as(what + " has diagnostics").isTrue();
                }
            });
        } finally {
            fixture.close();
        }
    }

    private static void assertRejected(HttpResponse<String> response, int status, String code) {
        assertThat(response.statusCode()).as(response.uri() + " " + response.body()).isEqualTo(status);
        assertThat(Fixture.json(response).at("/diagnostics/0/code").asText()).as(response.uri().toString())
                .isEqualTo(code);
    }

    // ---- the list ------------------------------------------------------------------------------

    @Test
    void a_created_conversation_is_201_with_where_it_is_and_shows_first_in_the_list() {
        HttpResponse<String> created = fixture.postJson("/api/conversations", "{\"title\":\"  Trip to Kyoto \"}");

        assertThat(created.statusCode()).isEqualTo(201);
        JsonNode body = Fixture.json(created);
        assertThat(body.get("state").asText()).isEqualTo("ready");
        assertThat(body.get("diagnostics").size()).isZero();
        JsonNode conversation = body.get("conversation");
        String id = conversation.get("id").asText();
        assertThat(ConversationId.isWellFormed(id)).isTrue();
        assertThat(created.headers().firstValue("Location")).hasValue("/api/conversations/" + id);
        assertThat(conversation.get("title").asText()).isEqualTo("Trip to Kyoto");
        assertThat(conversation.get("item_count").asLong()).isZero();
        assertThat(conversation.get("state").asText()).isEqualTo("ready");
        assertThat(conversation.get("preview").isNull()).isTrue();
        assertThat(conversation.get("created_at").asText()).isEqualTo(conversation.get("updated_at").asText());

        JsonNode list = Fixture.json(fixture.get("/api/conversations"));
        assertThat(list.get("state").asText()).isEqualTo("ready");
        assertThat(list.at("/conversations/0").equals(conversation)).as(list.toString()).isTrue();
        assertThat(list.get("conversations")).extracting(c -> c.get("id").asText()).contains("default");
        assertThat(list.get("next_cursor").isNull()).isTrue();
        assertThat(list.get("latest_cursor").asLong()).isEqualTo(fixture.runtime.conversations().latestCursor());
    }

    @Test
    void a_conversation_created_without_a_body_or_with_an_empty_one_is_untitled() {
        for (String json : new String[] {null, "{}", "{\"title\":null}"}) {
            String id = fixture.createConversation(json);

            JsonNode read = Fixture.json(fixture.get("/api/conversations/" + id));
            assertThat(read.at("/conversation/title").isNull()).as(String.valueOf(json)).isTrue();
        }
    }

    @Test
    void the_list_pages_by_cursor_and_narrows_by_search() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(fixture.createConversation("{\"title\":\"" + (i % 2 == 0 ? "Plans " : "Notes ") + i + "\"}"));
        }

        JsonNode first = Fixture.json(fixture.get("/api/conversations?limit=2"));
        assertThat(first.get("conversations").size()).isEqualTo(2);
        String cursor = first.get("next_cursor").asText();
        List<String> seen = new ArrayList<>();
        first.get("conversations").forEach(c -> seen.add(c.get("id").asText()));
        while (cursor != null) {
            JsonNode page = Fixture.json(fixture.get("/api/conversations?limit=2&cursor=" + cursor));
            page.get("conversations").forEach(c -> seen.add(c.get("id").asText()));
            cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
        }
        assertThat(seen).doesNotHaveDuplicates().containsAll(ids).contains("default").hasSize(6);

        JsonNode plans = Fixture.json(fixture.get("/api/conversations?search=plans"));
        assertThat(plans.get("conversations")).extracting(c -> c.get("title").asText())
                .containsExactlyInAnyOrder("Plans 0", "Plans 2", "Plans 4");
        JsonNode none = Fixture.json(fixture.get("/api/conversations?search=%E4%BA%AC%E9%83%BD"));
        assertThat(none.get("conversations").size()).isZero();
    }

    @Test
    void the_list_refuses_a_bad_limit_or_cursor_with_400_invalid_parameter() {
        for (String query : new String[] {"limit=0", "limit=201", "limit=-1", "limit=ten", "limit=1&limit=2",
                "cursor=not-a-cursor", "search=a&search=b"}) {
            assertRejected(fixture.get("/api/conversations?" + query), 400, "invalid_parameter");
        }
    }

    @Test
    void a_create_with_a_bad_body_or_title_is_refused_and_creates_nothing() {
        long before = fixture.runtime.conversations().list(dev.companion.core.ConversationQuery.newest())
                .conversations().size();

        assertRejected(fixture.postJson("/api/conversations", "[]"), 400, "malformed_json");
        assertRejected(fixture.postJson("/api/conversations", "{\"title\":7}"), 400, "malformed_json");
        assertRejected(fixture.postJson("/api/conversations", "{\"title\":\"   \"}"), 400, "invalid_parameter");
        assertRejected(fixture.postJson("/api/conversations", "{\"title\":\"two\\nlines\"}"), 400, "invalid_parameter");
        assertRejected(fixture.postJson("/api/conversations", Json.write(Map.of("title", "x".repeat(201)))), 400,
                "invalid_parameter");
        assertRejected(fixture.post("/api/conversations", "text/plain", "{}".getBytes()), 415,
                "unsupported_media_type");

        assertThat(fixture.runtime.conversations().list(dev.companion.core.ConversationQuery.newest())
                .conversations()).hasSize((int) before);
    }

    @Test
    void a_conversation_is_read_renamed_and_deleted_by_its_id() {
        String id = fixture.createConversation("{\"title\":\"Old\"}");

        JsonNode read = Fixture.json(fixture.get("/api/conversations/" + id));
        assertThat(read.at("/conversation/id").asText()).isEqualTo(id);

        HttpResponse<String> renamed = fixture.patchJson("/api/conversations/" + id, "{\"title\":\"New name\"}");
        assertThat(renamed.statusCode()).isEqualTo(200);
        assertThat(Fixture.json(renamed).at("/conversation/title").asText()).isEqualTo("New name");
        assertThat(Fixture.json(fixture.get("/api/conversations/" + id)).at("/conversation/title").asText())
                .isEqualTo("New name");

        HttpResponse<String> deleted = fixture.method("DELETE", "/api/conversations/" + id);
        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat(Fixture.json(deleted).get("state").asText()).isEqualTo("ready");
        assertThat(Fixture.json(deleted).get("deleted").asText()).isEqualTo(id);
        assertThat(Fixture.json(deleted).get("diagnostics").size()).isZero();

        assertRejected(fixture.get("/api/conversations/" + id), 404, "conversation_not_found");
        assertRejected(fixture.get("/api/conversations/" + id + "/transcript"), 404, "conversation_not_found");
        assertRejected(fixture.method("DELETE", "/api/conversations/" + id), 404, "conversation_not_found");
    }

    @Test
    void a_rename_needs_a_title_string_and_a_valid_title() {
        String id = fixture.createConversation("{}");

        assertRejected(fixture.patchJson("/api/conversations/" + id, "{}"), 400, "malformed_json");
        assertRejected(fixture.patchJson("/api/conversations/" + id, "{\"title\":null}"), 400, "malformed_json");
        assertRejected(fixture.patchJson("/api/conversations/" + id, "{\"title\":\"\"}"), 400, "invalid_parameter");
        assertRejected(fixture.patchJson("/api/conversations/nope-404", "{\"title\":\"x\"}"), 404,
                "conversation_not_found");
        assertThat(Fixture.json(fixture.get("/api/conversations/" + id)).at("/conversation/title").isNull()).isTrue();
    }

    @Test
    void an_unknown_id_is_404_and_a_malformed_one_400_on_every_route_of_a_conversation() {
        String[] suffixes = {"", "/status", "/transcript", "/transcript/export"};
        for (String suffix : suffixes) {
            assertRejected(fixture.get("/api/conversations/c-missing" + suffix), 404, "conversation_not_found");
            assertRejected(fixture.get("/api/conversations/bad.id" + suffix), 400, "invalid_parameter");
            assertRejected(fixture.get("/api/conversations/" + "x".repeat(65) + suffix), 400, "invalid_parameter");
        }
        for (String post : new String[] {"/messages", "/edit", "/regenerate", "/cancel"}) {
            assertRejected(fixture.postJson("/api/conversations/c-missing" + post, "{\"content\":\"hi\"}"), 404,
                    "conversation_not_found");
            assertRejected(fixture.postJson("/api/conversations/bad%20id" + post, "{\"content\":\"hi\"}"), 400,
                    "invalid_parameter");
        }
        assertRejected(fixture.patchJson("/api/conversations/bad.id", "{\"title\":\"x\"}"), 400, "invalid_parameter");
        assertRejected(fixture.method("DELETE", "/api/conversations/bad.id"), 400, "invalid_parameter");
    }

    @Test
    void a_conversation_with_a_running_turn_is_not_deleted_409_busy() throws Exception {
        String id = fixture.createConversation("{}");
        HttpResponse<String> sent = fixture.postJson("/api/conversations/" + id + "/messages", "{\"content\":\"hold\"}");
        String turn = Fixture.json(sent).get("turn_id").asText();
        fixture.model.awaitCall();

        HttpResponse<String> refused = fixture.method("DELETE", "/api/conversations/" + id);

        assertThat(refused.statusCode()).isEqualTo(409);
        JsonNode body = Fixture.json(refused);
        assertThat(body.get("state").asText()).isEqualTo("busy");
        assertThat(body.get("running_turn_id").asText()).isEqualTo(turn);
        assertThat(body.at("/diagnostics/0/code").asText()).isEqualTo("companion_busy");
        fixture.model.finish();
        fixture.runtime.conversations().open(new ConversationId(id)).awaitTurn(new TurnId(turn),
                java.time.Duration.ofSeconds(30));
        assertThat(fixture.method("DELETE", "/api/conversations/" + id).statusCode()).isEqualTo(200);
    }

    // ---- inside one conversation -----------------------------------------------------------------

    @Test
    void a_conversations_routes_answer_as_their_default_twins_and_keep_to_their_own_transcript() {
        String id = fixture.createConversation("{}");
        String base = "/api/conversations/" + id;
        fixture.model.script("Bonjour");

        HttpResponse<String> finished = fixture.postJson(base + "/messages?wait=true", "{\"content\":\"Salut\"}");

        assertThat(finished.statusCode()).isEqualTo(200);
        JsonNode body = Fixture.json(finished);
        assertThat(body.get("outcome").asText()).isEqualTo("completed");
        assertThat(body.at("/reply/content").asText()).isEqualTo("Bonjour");
        JsonNode status = Fixture.json(fixture.get(base + "/status"));
        assertThat(status.get("conversation_id").asText()).isEqualTo(id);
        assertThat(status.get("state").asText()).isEqualTo("ready");
        assertThat(status.get("latest_cursor").asLong()).isEqualTo(fixture.runtime.conversations().latestCursor());
        assertThat(Fixture.json(fixture.get("/api/companion/status")).get("conversation_id").asText())
                .isEqualTo("default");
        JsonNode page = Fixture.json(fixture.get(base + "/transcript"));
        assertThat(page.get("total_items").asLong()).isEqualTo(2);
        assertThat(page.get("items")).extracting(i -> i.get("content").asText()).containsExactly("Salut", "Bonjour");
        assertThat(Fixture.json(fixture.get("/api/companion/transcript")).get("total_items").asLong()).isZero();
        JsonNode conversation = Fixture.json(fixture.get(base)).get("conversation");
        assertThat(conversation.get("title").asText()).isEqualTo("Salut");
        assertThat(conversation.get("item_count").asLong()).isEqualTo(2);
        assertThat(conversation.get("preview").asText()).isEqualTo("Bonjour");

        HttpResponse<String> export = fixture.get(base + "/transcript/export");
        assertThat(export.headers().firstValue("Content-Disposition"))
                .hasValue("attachment; filename=\"conversation-" + id + ".json\"");
        assertThat(Fixture.json(export).get("total_items").asLong()).isEqualTo(2);
        HttpResponse<String> markdown = fixture.get(base + "/transcript/export?format=markdown");
        assertThat(markdown.body()).contains("Salut").contains("Bonjour");
        assertThat(fixture.get("/api/companion/transcript/export").headers().firstValue("Content-Disposition"))
                .hasValue("attachment; filename=\"companion-transcript.json\"");
    }

    @Test
    void a_turn_running_in_one_conversation_does_not_make_another_busy() throws Exception {
        String first = fixture.createConversation("{}");
        String second = fixture.createConversation("{}");
        HttpResponse<String> running = fixture.postJson("/api/conversations/" + first + "/messages",
                "{\"content\":\"one\"}");
        fixture.model.awaitCall();

        HttpResponse<String> other = fixture.postJson("/api/conversations/" + second + "/messages",
                "{\"content\":\"two\"}");
        HttpResponse<String> same = fixture.postJson("/api/conversations/" + first + "/messages",
                "{\"content\":\"again\"}");

        assertThat(other.statusCode()).isEqualTo(202);
        assertThat(same.statusCode()).isEqualTo(409);
        assertThat(Fixture.json(same).get("running_turn_id").asText())
                .isEqualTo(Fixture.json(running).get("turn_id").asText());
        assertThat(Fixture.json(fixture.get("/api/conversations/" + first + "/status")).get("state").asText())
                .isEqualTo("busy");
        HttpResponse<String> cancelled = fixture.postJson("/api/conversations/" + first + "/cancel", "{}");
        assertThat(Fixture.json(cancelled).get("state").asText()).isEqualTo("cancelled");
        fixture.model.awaitCall();
        fixture.model.finish();
    }

    @Test
    void past_the_runtimes_limit_of_running_turns_a_message_is_409_busy_with_no_running_turn() throws Exception {
        fixture.close();
        fixture = Fixture.withRuntime(runtime -> runtime.maxRunningTurns(1));
        String other = fixture.createConversation("{}");
        fixture.sendMessage("takes the only place");
        fixture.model.awaitCall();

        HttpResponse<String> refused = fixture.postJson("/api/conversations/" + other + "/messages",
                "{\"content\":\"no room\"}");

        assertThat(refused.statusCode()).isEqualTo(409);
        JsonNode body = Fixture.json(refused);
        assertThat(body.get("state").asText()).isEqualTo("busy");
        assertThat(body.get("running_turn_id").isNull()).isTrue();
        assertThat(body.at("/diagnostics/0/code").asText()).isEqualTo("too_many_running_turns");
        assertThat(Fixture.json(fixture.get("/api/conversations/" + other + "/transcript")).get("total_items")
                .asLong()).isZero();
        fixture.model.finish();
    }

    @Test
    void regenerate_answers_the_last_message_afresh_and_keeps_the_old_reply_superseded() {
        String base = "/api/conversations/" + fixture.createConversation("{}");
        fixture.model.script("first answer");
        fixture.postJson(base + "/messages?wait=true", "{\"content\":\"question\"}");
        fixture.model.script("second answer");

        HttpResponse<String> response = fixture.postJson(base + "/regenerate?wait=true", "");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = Fixture.json(response);
        assertThat(body.get("outcome").asText()).isEqualTo("completed");
        assertThat(body.at("/item/content").asText()).isEqualTo("question");
        assertThat(body.at("/reply/content").asText()).isEqualTo("second answer");
        JsonNode page = Fixture.json(fixture.get(base + "/transcript"));
        assertThat(page.get("items")).extracting(i -> i.get("content").asText() + "/" + i.get("status").asText())
                .containsExactly("question/accepted", "first answer/superseded", "second answer/completed");
    }

    @Test
    void regenerate_without_wait_is_accepted_with_the_message_it_answers() throws Exception {
        fixture.model.script("one");
        fixture.postJson("/api/companion/messages?wait=true", "{\"content\":\"ask\"}");
        fixture.model.script("two");

        HttpResponse<String> response = fixture.post("/api/companion/regenerate", null, new byte[0]);

        assertThat(response.statusCode()).isEqualTo(202);
        JsonNode body = Fixture.json(response);
        assertThat(body.get("state").asText()).isEqualTo("accepted");
        assertThat(body.at("/item/content").asText()).isEqualTo("ask");
        fixture.awaitTurn(new TurnId(body.get("turn_id").asText()));
        assertRejected(fixture.postJson("/api/companion/regenerate", "[1]"), 400, "malformed_json");
    }

    @Test
    void edit_replaces_the_last_message_and_answers_the_new_words() {
        String base = "/api/conversations/" + fixture.createConversation("{}");
        fixture.model.script("about cats");
        fixture.postJson(base + "/messages?wait=true", "{\"content\":\"tell me of cats\"}");
        fixture.model.script("about dogs");

        HttpResponse<String> response = fixture.postJson(base + "/edit?wait=true", "{\"content\":\"tell me of dogs\"}");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = Fixture.json(response);
        assertThat(body.at("/item/content").asText()).isEqualTo("tell me of dogs");
        assertThat(body.at("/reply/content").asText()).isEqualTo("about dogs");
        JsonNode page = Fixture.json(fixture.get(base + "/transcript"));
        assertThat(page.get("items")).extracting(i -> i.get("status").asText())
                .containsExactly("superseded", "superseded", "accepted", "completed");
    }

    @Test
    void regenerate_or_edit_with_nothing_to_act_on_is_422_and_changes_nothing() {
        String base = "/api/conversations/" + fixture.createConversation("{}");

        HttpResponse<String> regenerate = fixture.postJson(base + "/regenerate", "{}");
        HttpResponse<String> edit = fixture.postJson(base + "/edit", "{\"content\":\"new words\"}");

        assertRejected(regenerate, 422, "nothing_to_regenerate");
        assertThat(Fixture.json(regenerate).get("state").asText()).isEqualTo("rejected");
        assertRejected(edit, 422, "nothing_to_edit");
        assertRejected(fixture.postJson("/api/companion/edit", "{\"content\":\"x\"}"), 422, "nothing_to_edit");
        assertThat(Fixture.json(fixture.get(base + "/transcript")).get("total_items").asLong()).isZero();
    }

    @Test
    void an_edit_is_checked_as_a_message_is() {
        String base = "/api/conversations/" + fixture.createConversation("{}");

        assertRejected(fixture.postJson(base + "/edit", "{\"content\":\"  \"}"), 422, "empty_message");
        assertRejected(fixture.postJson(base + "/edit", "{}"), 400, "malformed_json");
        assertRejected(fixture.post(base + "/edit", null, new byte[0]), 415, "unsupported_media_type");
        assertRejected(fixture.postJson(base + "/edit", "{\"content\":\"a\\u0000b\"}"), 422, "message_contains_nul");
    }

    @Test
    void a_message_with_a_nul_character_is_422_message_contains_nul_and_nothing_is_stored() {
        HttpResponse<String> response = fixture.postJson("/api/companion/messages", "{\"content\":\"a\\u0000b\"}");

        assertRejected(response, 422, "message_contains_nul");
        assertThat(Fixture.json(response).get("state").asText()).isEqualTo("rejected");
        assertThat(fixture.runtime.companion().transcript(TranscriptQuery.newest()).totalItems()).isZero();
    }

    @Test
    void a_reply_shows_its_reasoning_time_usage_and_the_diagnostics_of_how_it_ended() {
        fixture.close();
        fixture = Fixture.withModel(new ThinkingModel());

        JsonNode body = Fixture.json(fixture.postJson("/api/companion/messages?wait=true", "{\"content\":\"hi\"}"));

        JsonNode reply = body.get("reply");
        assertThat(reply.get("status").asText()).isEqualTo("truncated");
        assertThat(reply.get("content").asText()).isEqualTo(ThinkingModel.ANSWER);
        assertThat(reply.get("reasoning").asText()).isEqualTo(ThinkingModel.REASONING + ThinkingModel.MORE_REASONING);
        assertThat(reply.get("reasoning_ms").isIntegralNumber()).isTrue();
        assertThat(reply.at("/usage/input_tokens").asLong()).isEqualTo(120);
        assertThat(reply.at("/usage/output_tokens").asLong()).isEqualTo(48);
        assertThat(reply.at("/usage/reasoning_tokens").asLong()).isEqualTo(16);
        assertThat(reply.at("/diagnostics/0/code").asText()).isEqualTo("provider_reply_truncated");
        JsonNode user = body.get("item");
        assertThat(user.get("reasoning").isNull()).isTrue();
        assertThat(user.get("reasoning_ms").isNull()).isTrue();
        assertThat(user.get("usage").isNull()).isTrue();
        assertThat(user.get("diagnostics").size()).isZero();
        JsonNode stored = Fixture.json(fixture.get("/api/companion/transcript")).at("/items/1");
        assertThat(stored).isEqualTo(reply);
    }
}
