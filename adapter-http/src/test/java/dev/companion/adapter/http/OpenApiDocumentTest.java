package dev.companion.adapter.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.companion.core.model.Capability;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.Role;
import dev.companion.core.model.Severity;
import dev.companion.core.model.TurnEnd;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /api/openapi.json}: a valid OpenAPI 3.1 document that describes exactly the routes the
 * server has, in the core's own words, and every answer the server gives (the {@link Fixture} holds
 * every test's answers to it; the tour here visits every route).
 */
class OpenApiDocumentTest {

    private final OpenApiContract contract = OpenApiContract.load();
    private Fixture fixture = Fixture.start();

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void the_document_is_valid_openapi_3_1_with_every_schema_of_the_oas_dialect() {
        assertThat(contract.document.get("openapi").asText()).startsWith("3.1.");
        assertThat(contract.documentErrors()).isEmpty();
    }

    @Test
    void the_validator_does_catch_a_document_that_is_not_valid() {
        ObjectNode noInfo = contract.document.deepCopy();
        noInfo.remove("info");
        ObjectNode badSchema = contract.document.deepCopy();
        ((ObjectNode) badSchema.at("/components/schemas/Conversation")).put("type", 7);
        ObjectNode badResponse = contract.document.deepCopy();
        ((ObjectNode) badResponse.at("/paths/~1api~1workers/get/responses")).putObject("200").put("content", "none");

        assertThat(contract.documentErrors(noInfo)).isNotEmpty();
        assertThat(contract.documentErrors(badSchema)).isNotEmpty();
        assertThat(contract.documentErrors(badResponse)).isNotEmpty();
        assertThat(contract.errors("#/components/schemas/StatusAnswer", "{\"state\":\"ready\",\"diagnostics\":[]}"))
                .as("an answer that lacks what the document requires").isNotEmpty();
        assertThat(contract.errors("#/components/schemas/Error", "{\"state\":\"ready\",\"diagnostics\":[],\"x\":1}"))
                .as("an answer with a state, a field and a diagnostic count the document does not allow").hasSize(3);
    }

    @Test
    void the_server_serves_the_document_it_is_checked_against() {
        HttpResponse<String> response = fixture.get(OpenApiDocument.PATH);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
        assertThat(Fixture.json(response)).isEqualTo(contract.document);
    }

    @Test
    void with_an_access_token_the_document_needs_it_like_the_rest_of_the_api() {
        fixture.close();
        fixture = Fixture.configured(builder -> builder.accessToken(Optional.of("openapi-token-123")));

        assertThat(fixture.get(OpenApiDocument.PATH).statusCode()).isEqualTo(401);
        assertThat(fixture.get(OpenApiDocument.PATH, "Authorization", "Bearer openapi-token-123").statusCode())
                .isEqualTo(200);
    }

    @Test
    void every_route_of_the_table_is_in_the_document_with_its_method_and_nothing_else_is() {
        Set<String> routes = fixture.server.routes().stream()
                .map(route -> route.method() + " " + route.template().replace("*", "{path}"))
                .collect(Collectors.toCollection(TreeSet::new));

        assertThat(contract.operations()).containsExactlyElementsOf(routes);
    }

    @Test
    void the_public_routes_are_the_ones_the_document_says_need_no_token() {
        Set<String> publicRoutes = fixture.server.routes().stream().filter(Route::isPublic)
                .map(route -> route.method() + " " + route.template().replace("*", "{path}"))
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> noSecurity = new TreeSet<>();
        contract.document.get("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(
                op -> {
                    JsonNode security = op.getValue().get("security");
                    if (security != null && security.isEmpty()) {
                        noSecurity.add(op.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey());
                    }
                }));

        assertThat(noSecurity).isEqualTo(publicRoutes);
    }

    @Test
    void the_documents_words_are_the_cores_vocabulary() {
        assertThat(enumOf("State")).isEqualTo(words(CompanionState.values(), CompanionState::wireName));
        assertThat(enumOf("ItemStatus")).isEqualTo(words(ItemStatus.values(), ItemStatus::wireName));
        assertThat(enumOf("Outcome")).isEqualTo(words(TurnEnd.values(), TurnEnd::wireName));
        assertThat(enumOf("DiagnosticCode")).isEqualTo(words(DiagnosticCode.values(), DiagnosticCode::wireName));
        assertThat(values(contract.document.at("/components/schemas/Diagnostic/properties/severity/enum")))
                .isEqualTo(words(Severity.values(), Severity::wireName));
        assertThat(values(contract.document.at("/components/schemas/TranscriptItem/properties/role/enum")))
                .isEqualTo(words(Role.values(), Role::wireName));
        assertThat(values(contract.document.at("/components/schemas/Worker/properties/capabilities/items/enum")))
                .isEqualTo(words(Capability.values(), Capability::wireName));
        assertThat(values(contract.document.at("/components/schemas/TurnEndedEvent/properties/type/enum")))
                .isEqualTo(words(TurnEnd.values(), TurnEnd::eventName));

        Set<String> everyEvent = new TreeSet<>(WireReader.eventNames());
        everyEvent.addAll(List.of(Wire.RESET, Wire.DROPPED));
        assertThat(eventsOf("/api/events")).isEqualTo(everyEvent);
        Set<String> defaultStream = new TreeSet<>(everyEvent);
        defaultStream.removeIf(name -> name.startsWith("conversation_"));
        assertThat(eventsOf("/api/companion/events")).isEqualTo(defaultStream);
    }

    @Test
    void a_tour_of_every_route_gets_answers_and_events_as_the_document_describes_them() throws Exception {
        Set<String> streamed = new TreeSet<>();
        List<SseFrames.Frame> events = new ArrayList<>();
        try (EventStreamClient all = EventStreamClient.open(fixture, "/api/events");
             EventStreamClient companion = EventStreamClient.open(fixture, "/api/companion/events")) {
            streamed.addAll(List.of("GET /api/events", "GET /api/companion/events"));
            visitEveryRoute();
            events.addAll(all.eventsThrough(frame -> "conversation_deleted".equals(frame.event())));
            for (SseFrames.Frame frame : events) {
                contract.assertEventMatches("/api/events", frame.event(), frame.dataLine());
            }
            for (SseFrames.Frame frame : companion.eventsThrough(frame -> "turn_cancelled".equals(frame.event()))) {
                contract.assertEventMatches("/api/companion/events", frame.event(), frame.dataLine());
            }
        }
        try (EventStreamClient reset = EventStreamClient.open(fixture, "/api/events?cursor=7")) {
            SseFrames.Frame frame = reset.nextEvent();
            assertThat(frame.event()).isEqualTo("reset");
            contract.assertEventMatches("/api/events", frame.event(), frame.dataLine());
        }

        assertThat(events).extracting(SseFrames.Frame::event).contains("conversation_created",
                "conversation_renamed", "conversation_deleted", "state_changed", "turn_started", "text_delta",
                "turn_completed", "turn_cancelled");
        Set<String> answered = new TreeSet<>(streamed);
        for (HttpResponse<String> response : fixture.responses) {
            contract.template(response.uri().getPath()).ifPresent(template ->
                    answered.add(response.request().method() + " " + template));
        }
        assertThat(answered).as("every operation of the document was visited").containsAll(contract.operations());
        // Fixture.close() then holds every answer to the document.
    }

    /** Every route, with the answers that matter most: successes, refusals, busy, not found. */
    private void visitEveryRoute() throws InterruptedException {
        fixture.get(OpenApiDocument.PATH);
        fixture.get("/api/workers");
        for (String base : new String[] {"/api/companion", "/api/conversations/" + fixture.createConversation("{}")}) {
            fixture.model.script("first");
            fixture.postJson(base + "/messages?wait=true", "{\"content\":\"hello\"}");
            fixture.model.script("again");
            fixture.postJson(base + "/regenerate?wait=true", "{}");
            fixture.model.script("edited");
            fixture.postJson(base + "/edit?wait=true", "{\"content\":\"hello again\"}");
            fixture.get(base + "/status");
            fixture.get(base + "/transcript?limit=1");
            fixture.get(base + "/transcript?start=x");
            fixture.get(base + "/transcript/export");
            fixture.get(base + "/transcript/export?format=markdown");
            fixture.postJson(base + "/messages", "{\"content\":\"\"}");
            String running = Fixture.json(fixture.postJson(base + "/messages", "{\"content\":\"long\"}"))
                    .get("turn_id").asText();
            fixture.model.awaitCall();
            fixture.postJson(base + "/messages", "{\"content\":\"busy?\"}");
            fixture.postJson(base + "/regenerate", "");
            fixture.postJson(base + "/cancel", "{\"reason\":\"tour\"}");
            fixture.postJson(base + "/cancel", "{\"turn_id\":\"" + running + "\"}");
            fixture.postJson(base + "/cancel", "");
        }
        String empty = "/api/conversations/" + fixture.createConversation("{\"title\":\"Empty\"}");
        fixture.postJson(empty + "/regenerate", "{}");
        fixture.postJson(empty + "/edit", "{\"content\":\"x\"}");
        fixture.get("/api/conversations?limit=1");
        fixture.get("/api/conversations?limit=0");
        fixture.get(empty);
        fixture.get("/api/conversations/c-none");
        fixture.get("/api/conversations/c-none/status");
        fixture.patchJson(empty, "{\"title\":\"Still empty\"}");
        fixture.method("DELETE", empty);
        fixture.method("DELETE", empty);
        fixture.get("/api/events?conversation=c-none");
        fixture.get("/api/companion/events?cursor=x");
        fixture.get("/");
        fixture.get("/console");
        fixture.method("HEAD", "/console");
        fixture.get("/console/app.js");
        fixture.method("HEAD", "/console/app.js");
        fixture.get("/console/vendor/none.js");
        fixture.method("HEAD", "/console/vendor/none.js");
        fixture.get("/nowhere");
        fixture.method("PUT", "/api/workers");
    }

    private Set<String> enumOf(String schema) {
        return values(contract.document.at("/components/schemas/" + schema + "/enum"));
    }

    private Set<String> eventsOf(String path) {
        Set<String> names = new TreeSet<>();
        contract.document.at("/paths/" + OpenApiContract.escape(path)
                + "/get/responses/200/content/text~1event-stream/x-events").fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static Set<String> values(JsonNode array) {
        assertThat(array.isArray()).as("an enum").isTrue();
        Set<String> values = new TreeSet<>();
        array.forEach(value -> values.add(value.asText()));
        return values;
    }

    private static <E> Set<String> words(E[] values, Function<E, String> wireName) {
        return Stream.of(values).map(wireName).collect(Collectors.toCollection(TreeSet::new));
    }
}
