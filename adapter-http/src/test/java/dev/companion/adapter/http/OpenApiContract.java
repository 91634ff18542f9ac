package dev.companion.adapter.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The server's OpenAPI document as a contract: the document itself checked against the official
 * OpenAPI 3.1 schema, and any answer (status, media type, JSON body) or event frame checked against
 * what the document says for its path and method, by JSON Schema 2020-12 validation.
 */
final class OpenApiContract {

    /** Where the document is registered for the validator, so that its {@code $ref}s resolve. */
    static final String DOCUMENT_IRI = "https://companion.test/openapi.json";
    private static final String SCHEMA_BASE_IRI = "https://companion.test/openapi-3.1/schema-base";

    private static OpenApiContract instance;

    final JsonNode document;
    private final SchemaRegistry registry;
    private final Map<String, Schema> schemas = new HashMap<>();
    /** Path templates with their patterns, the most literal first (so /console/vendor/{path} beats /console/{path}). */
    private final List<Map.Entry<String, Pattern>> templates = new ArrayList<>();

    private OpenApiContract() {
        String text = resource("/dev/companion/adapter/http/" + OpenApiDocument.RESOURCE);
        this.document = Json.read(text);
        Map<String, String> known = Map.of(
                DOCUMENT_IRI, text,
                SCHEMA_BASE_IRI, resource("/openapi-3.1/schema-base.json"),
                "https://spec.openapis.org/oas/3.1/schema/2021-04-15", resource("/openapi-3.1/schema.json"),
                "https://spec.openapis.org/oas/3.1/dialect/base", resource("/openapi-3.1/dialect-base.json"),
                "https://spec.openapis.org/oas/3.1/meta/base", resource("/openapi-3.1/meta-base.json"));
        this.registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
                builder -> builder.schemas(known));
        document.get("paths").fieldNames().forEachRemaining(template -> templates.add(Map.entry(template,
                Pattern.compile(template.replace("{path}", ".*").replaceAll("\\{[^}]+}", "[^/]+")))));
        templates.sort(Comparator.comparing((Map.Entry<String, Pattern> t) -> -t.getKey().replaceAll("\\{[^}]+}", "")
                .length()));
    }

    static synchronized OpenApiContract load() {
        if (instance == null) {
            instance = new OpenApiContract();
        }
        return instance;
    }

    private static String resource(String name) {
        try (InputStream in = OpenApiContract.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What the official OpenAPI 3.1 schema (with every Schema Object of the OAS dialect) finds wrong. */
    List<Error> documentErrors() {
        return documentErrors(document);
    }

    List<Error> documentErrors(JsonNode candidate) {
        return registry.getSchema(SchemaLocation.of(SCHEMA_BASE_IRI)).validate(candidate);
    }

    /** What the schema at this pointer of the document finds wrong with a body. */
    List<Error> errors(String pointer, String body) {
        return schemas.computeIfAbsent(pointer, p -> registry.getSchema(SchemaLocation.of(DOCUMENT_IRI + p)))
                .validate(Json.read(body));
    }

    /** Every operation as "METHOD template", e.g. {@code GET /api/conversations/{id}}. */
    Set<String> operations() {
        Set<String> operations = new TreeSet<>();
        document.get("paths").fields().forEachRemaining(path -> path.getValue().fieldNames().forEachRemaining(
                method -> operations.add(method.toUpperCase(Locale.ROOT) + " " + path.getKey())));
        return operations;
    }

    /** The document's template for a request path, if any. */
    Optional<String> template(String path) {
        return templates.stream().filter(t -> t.getValue().matcher(path).matches()).map(Map.Entry::getKey).findFirst();
    }

    /** The operation for a method and path template, if the document has it. */
    Optional<JsonNode> operation(String method, String template) {
        return Optional.ofNullable(document.get("paths").get(template).get(method.toLowerCase(Locale.ROOT)));
    }

    /**
     * The answer matches the document: its status is documented for its operation (or falls to its
     * {@code default}), its media type is one the document gives, and a JSON body validates against
     * the schema given there. A request to no operation (404, 405) must be answered as an Error.
     */
    void assertMatches(HttpResponse<String> response) {
        String method = response.request().method();
        String path = response.uri().getRawPath();
        String what = method + " " + response.uri() + " -> " + response.statusCode();
        Optional<String> mediaType = response.headers().firstValue("Content-Type")
                .map(type -> type.split(";")[0].trim().toLowerCase(Locale.ROOT));
        Optional<String> template = template(decoded(path));
        Optional<JsonNode> operation = template.flatMap(t -> operation(method, t));
        if (operation.isEmpty()) {
            assertThat(response.statusCode()).as(what + ": a request to no operation").isIn(401, 403, 404, 405);
            assertValid(what, "#/components/schemas/Error", response.body());
            return;
        }
        String pointer = "#/paths/" + escape(template.get()) + "/" + method.toLowerCase(Locale.ROOT) + "/responses/";
        JsonNode responses = operation.get().get("responses");
        String status = Integer.toString(response.statusCode());
        JsonNode answer = responses.get(status);
        if (answer == null) {
            answer = responses.get("default");
            status = "default";
            assertThat(response.statusCode()).as(what + " is documented (or an error under default)")
                    .isGreaterThanOrEqualTo(400);
        }
        assertThat(answer).as(what + " is documented").isNotNull();
        pointer += status;
        if (answer.has("$ref")) {
            pointer = answer.get("$ref").asText();
            answer = resolve(pointer);
        }
        if (method.equals("HEAD") || !answer.has("content")) {
            assertThat(response.body()).as(what + " has no body").isEmpty();
            return;
        }
        assertThat(mediaType).as(what + " says its media type").isPresent();
        JsonNode content = answer.get("content");
        String key = content.has(mediaType.get()) ? mediaType.get() : content.has("*/*") ? "*/*" : null;
        assertThat(key).as(what + ": " + mediaType.get() + " is one of " + content).isNotNull();
        if (key.equals("application/json")) {
            assertValid(what, pointer + "/content/" + escape(key) + "/schema", response.body());
        }
    }

    /** An event frame of {@code template}'s stream: its name is documented there and its data validates. */
    void assertEventMatches(String template, String event, String data) {
        String pointer = "#/paths/" + escape(template) + "/get/responses/200/content/text~1event-stream/x-events/"
                + escape(event);
        assertThat(document.at(pointer.substring(1)).isMissingNode()).as(template + " documents the event " + event)
                .isFalse();
        assertValid(template + " event " + event, pointer, data);
    }

    /** The body validates against the schema at this pointer of the document. */
    void assertValid(String what, String pointer, String body) {
        List<Error> errors = errors(pointer, body);
        assertThat(errors).as(what + " matches " + pointer + " (" + (body.length() > 600 ? body.substring(0, 600) + "…"
                : body) + ")").isEmpty();
    }

    private JsonNode resolve(String pointer) {
        JsonNode node = document.at(pointer.substring(1));
        assertThat(node.isMissingNode()).as(pointer + " resolves").isFalse();
        return node;
    }

    static String escape(String segment) {
        return segment.replace("~", "~0").replace("/", "~1");
    }

    private static String decoded(String rawPath) {
        return java.net.URLDecoder.decode(rawPath.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    static <T> List<T> list(Iterator<T> iterator) {
        List<T> list = new ArrayList<>();
        iterator.forEachRemaining(list::add);
        return list;
    }
}
