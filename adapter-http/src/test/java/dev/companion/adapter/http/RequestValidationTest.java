package dev.companion.adapter.http;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every way a request can be wrong, and that each one is refused with its status and changes nothing. */
class RequestValidationTest {

    private Fixture fixture;

    @BeforeEach
    void start() {
        fixture = Fixture.start();
    }

    @AfterEach
    void stop() {
        try {
            ResponseRules.assertEverySafe(fixture.responses, (what, response) ->
                    assertThat(response.headers().firstValue("Content-Type")).as(what)
                            .hasValue("application/json; charset=utf-8"));
            assertThat(fixture.runtime.companion().transcript(dev.companion.core.model.TranscriptQuery.newest())
                    .totalItems()).as("refused requests change nothing").isZero();
        } finally {
            fixture.close();
        }
    }

    private static void assertRefused(HttpResponse<String> response, int status, String code) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode body = Fixture.json(response);
        assertThat(body.get("state").asText()).isEqualTo("rejected");
        assertThat(body.get("diagnostics").size()).isEqualTo(1);
        assertThat(body.at("/diagnostics/0/code").asText()).isEqualTo(code);
        assertThat(body.at("/diagnostics/0/severity").asText()).isEqualTo("error");
        assertThat(body.at("/diagnostics/0/message").asText()).isNotBlank();
    }

    @Test
    void a_body_that_is_not_application_json_is_415() {
        byte[] body = "{\"content\":\"hi\"}".getBytes(StandardCharsets.UTF_8);
        for (String type : new String[] {"text/plain", "application/x-www-form-urlencoded", "application/jsonx",
                "application/json; charset=iso-8859-1", "application/json; charset=utf-16", "multipart/form-data"}) {
            assertRefused(fixture.post("/api/companion/messages", type, body), 415, "unsupported_media_type");
        }
        assertRefused(fixture.post("/api/companion/messages", null, body), 415, "unsupported_media_type");
        assertRefused(fixture.post("/api/companion/cancel", "text/plain", "{}".getBytes(StandardCharsets.UTF_8)),
                415, "unsupported_media_type");
    }

    @Test
    void a_body_on_any_route_must_be_json_and_a_json_body_where_none_is_needed_is_ignored() throws Exception {
        String head = "GET /api/companion/status HTTP/1.1\r\nHost: 127.0.0.1:" + fixture.port
                + "\r\nConnection: close\r\nContent-Length: 2\r\n";
        byte[] body = "{}".getBytes(StandardCharsets.UTF_8);

        RawHttp.Response text = RawHttp.exchange(fixture.port, head + "Content-Type: text/plain\r\n\r\n", body);
        RawHttp.Response untyped = RawHttp.exchange(fixture.port, head + "\r\n", body);
        RawHttp.Response json = RawHttp.exchange(fixture.port, head + "Content-Type: application/json\r\n\r\n", body);

        for (RawHttp.Response refused : new RawHttp.Response[] {text, untyped}) {
            assertThat(refused.status()).isEqualTo(415);
            assertThat(refused.json().at("/diagnostics/0/code").asText()).isEqualTo("unsupported_media_type");
        }
        assertThat(json.status()).isEqualTo(200);
        assertThat(json.json().get("state").asText()).isEqualTo("ready");
    }

    @Test
    void json_with_a_utf8_charset_in_any_spelling_is_accepted() throws Exception {
        for (String type : new String[] {"application/json; charset=utf-8", "Application/JSON;charset=UTF-8",
                "application/json; charset=\"utf-8\""}) {
            HttpResponse<String> response = fixture.post("/api/companion/cancel", type,
                    "{}".getBytes(StandardCharsets.UTF_8));
            assertThat(response.statusCode()).as(type).isEqualTo(200);
        }
    }

    @Test
    void malformed_json_or_a_missing_content_string_is_400_malformed_json() {
        String[] bodies = {"", "not json", "[]", "\"hello\"", "42", "null", "{}", "{\"content\":5}",
                "{\"content\":null}", "{\"content\":[\"a\"]}", "{\"message\":\"hi\"}", "{\"content\":\"a\"",
                "{\"content\":\"a\"} trailing", "{\"content\":\"a\",\"content\":\"b\"}", "{content:\"a\"}"};
        for (String body : bodies) {
            assertRefused(fixture.postJson("/api/companion/messages", body), 400, "malformed_json");
        }
    }

    @Test
    void a_cancel_body_of_the_wrong_shape_is_refused() {
        assertRefused(fixture.postJson("/api/companion/cancel", "[]"), 400, "malformed_json");
        assertRefused(fixture.postJson("/api/companion/cancel", "{\"reason\":5}"), 400, "malformed_json");
        assertRefused(fixture.postJson("/api/companion/cancel", "{\"turn_id\":true}"), 400, "malformed_json");
        assertRefused(fixture.postJson("/api/companion/cancel", "{\"turn_id\":\"no spaces allowed\"}"),
                400, "invalid_parameter");
        assertRefused(fixture.postJson("/api/companion/cancel", Json.write(Map.of("reason", "x".repeat(501)))),
                400, "invalid_parameter");
    }

    @Test
    void bytes_that_are_not_utf8_are_400_invalid_utf8() {
        byte[][] bodies = {
                concat("{\"content\":\"", new byte[] {(byte) 0xC3, 0x28}, "\"}"),          // broken sequence
                concat("{\"content\":\"", new byte[] {(byte) 0xC0, (byte) 0xAF}, "\"}"),   // overlong '/'
                concat("{\"content\":\"", new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, "\"}"), // surrogate
                concat("{\"content\":\"", new byte[] {(byte) 0xFF}, "\"}"),
                concat("{\"content\":\"a", new byte[] {(byte) 0xE2, (byte) 0x82}, "")};      // cut short
        for (byte[] body : bodies) {
            assertRefused(fixture.post("/api/companion/messages", "application/json", body), 400, "invalid_utf8");
        }
    }

    @Test
    void a_lone_surrogate_spelled_as_an_escape_is_400_invalid_utf8() {
        assertRefused(fixture.postJson("/api/companion/messages", "{\"content\":\"a\\ud800b\"}"), 400, "invalid_utf8");
        assertRefused(fixture.postJson("/api/companion/messages", "{\"content\":\"\\udc00\"}"), 400, "invalid_utf8");
    }

    @Test
    void an_empty_or_blank_message_is_422_empty_message() {
        assertRefused(fixture.postJson("/api/companion/messages", "{\"content\":\"\"}"), 422, "empty_message");
        assertRefused(fixture.postJson("/api/companion/messages", "{\"content\":\" \\n\\t \"}"), 422, "empty_message");
    }

    @Test
    void a_message_of_8001_characters_is_422_message_too_long() {
        assertRefused(fixture.postJson("/api/companion/messages", Json.write(Map.of("content", "a".repeat(8001)))),
                422, "message_too_long");
        assertRefused(fixture.postJson("/api/companion/messages",
                Json.write(Map.of("content", "\uD83D\uDE00".repeat(8001)))), 422, "message_too_long");
    }

    @Test
    void a_body_over_64_kib_is_413_whether_sent_whole_or_declared_larger() {
        byte[] body = Json.write(Map.of("content", "a".repeat(70_000))).getBytes(StandardCharsets.UTF_8);
        assertRefused(fixture.post("/api/companion/messages", "application/json", body), 413, "body_too_large");
    }

    @Test
    void a_declared_length_over_the_limit_is_refused_before_the_body_is_sent() throws Exception {
        // Only the head is sent: the answer can come only from the declared length.
        RawHttp.Response response = RawHttp.exchange(fixture.port, "POST /api/companion/messages HTTP/1.1\r\n"
                + "Host: 127.0.0.1:" + fixture.port + "\r\n"
                + "Content-Type: application/json\r\n"
                + "Content-Length: 10000000\r\n\r\n");

        assertThat(response.status()).isEqualTo(413);
        assertThat(response.json().at("/diagnostics/0/code").asText()).isEqualTo("body_too_large");
        ResponseRules.assertSafeHeaders("declared 413", response.headers());
    }

    @Test
    void a_chunked_body_growing_past_the_limit_is_413() throws Exception {
        StringBuilder chunks = new StringBuilder();
        String piece = "a".repeat(4096);
        int sent = 0;
        chunks.append("c\r\n{\"content\":\"\r\n");
        while (sent <= RequestBodies.MAX_BODY_BYTES) {
            chunks.append(Integer.toHexString(piece.length())).append("\r\n").append(piece).append("\r\n");
            sent += piece.length();
        }
        chunks.append("2\r\n\"}\r\n0\r\n\r\n");

        RawHttp.Response response = RawHttp.exchange(fixture.port, "POST /api/companion/messages HTTP/1.1\r\n"
                + "Host: 127.0.0.1:" + fixture.port + "\r\n"
                + "Content-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n", chunks.toString().getBytes(StandardCharsets.US_ASCII));

        assertThat(response.status()).isEqualTo(413);
        assertThat(response.json().at("/diagnostics/0/code").asText()).isEqualTo("body_too_large");
    }

    @Test
    void a_chunked_body_within_the_limit_is_read() throws Exception {
        String json = "{\"content\":\"hello in chunks\"}";
        String chunked = "5\r\n" + json.substring(0, 5) + "\r\n" + Integer.toHexString(json.length() - 5) + "\r\n"
                + json.substring(5) + "\r\n0\r\n\r\n";
        RawHttp.Response response = RawHttp.exchange(fixture.port, "POST /api/companion/cancel HTTP/1.1\r\n"
                + "Host: 127.0.0.1:" + fixture.port + "\r\nConnection: close\r\n"
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
                chunked.getBytes(StandardCharsets.US_ASCII));

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.json().at("/diagnostics/0/code").asText()).isEqualTo("not_running");
    }

    @Test
    void an_unknown_path_is_404_json() {
        for (String path : new String[] {"/api/nothing", "/api/companion", "/api/companion/status/extra", "/nope",
                "/console/missing.js", "/console/../pom.xml", "/api/companion/%2e%2e/workers"}) {
            assertRefused(fixture.get(path), 404, "not_found");
        }
    }

    @Test
    void a_known_path_with_another_method_is_405_with_allow() {
        HttpResponse<String> delete = fixture.method("DELETE", "/api/companion/status");
        assertRefused(delete, 405, "method_not_allowed");
        assertThat(delete.headers().firstValue("Allow")).hasValue("GET");

        HttpResponse<String> get = fixture.get("/api/companion/messages");
        assertRefused(get, 405, "method_not_allowed");
        assertThat(get.headers().firstValue("Allow")).hasValue("POST");

        HttpResponse<String> put = fixture.method("PUT", "/api/companion/cancel");
        assertThat(put.headers().firstValue("Allow")).hasValue("POST");
        assertRefused(put, 405, "method_not_allowed");

        assertRefused(fixture.method("POST", "/console"), 405, "method_not_allowed");
    }

    @Test
    void options_is_405_json_and_never_a_cors_answer() {
        HttpResponse<String> response = fixture.method("OPTIONS", "/api/companion/messages",
                "Access-Control-Request-Method", "POST");

        assertRefused(response, 405, "method_not_allowed");
        assertThat(response.headers().firstValue("Allow")).hasValue("POST");
    }

    private static byte[] concat(String head, byte[] middle, String tail) {
        byte[] start = head.getBytes(StandardCharsets.UTF_8);
        byte[] end = tail.getBytes(StandardCharsets.UTF_8);
        byte[] all = Arrays.copyOf(start, start.length + middle.length + end.length);
        System.arraycopy(middle, 0, all, start.length, middle.length);
        System.arraycopy(end, 0, all, start.length + middle.length, end.length);
        return all;
    }
}
