package dev.companion.adapter.http;

import dev.companion.core.model.CompanionException;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.TranscriptQuery;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** The safe defaults: who may talk to the server at all, and how it fails to start. */
class GuardsTest {

    private Fixture fixture;

    @BeforeEach
    void start() {
        fixture = Fixture.start();
    }

    @AfterEach
    void stop() {
        try {
            ResponseRules.assertEverySafe(fixture.responses, (what, response) -> { });
        } finally {
            fixture.close();
        }
    }

    private RawHttp.Response getWithHost(String hostLines) throws Exception {
        return RawHttp.exchange(fixture.port, "GET /api/companion/status HTTP/1.1\r\n" + hostLines
                + "Connection: close\r\n\r\n");
    }

    @Test
    void a_foreign_host_is_403_forbidden_host() throws Exception {
        int port = fixture.port;
        String[] hosts = {"evil.example", "evil.example:" + port, "127.0.0.1:" + (port == 65535 ? 1 : port + 1),
                "127.0.0.1", "localhost.evil.example:" + port, "127.0.0.2:" + port, "[::2]:" + port,
                "0.0.0.0:" + port, "2130706433:" + port};
        for (String host : hosts) {
            RawHttp.Response response = getWithHost("Host: " + host + "\r\n");

            assertThat(response.status()).as(host).isEqualTo(403);
            assertThat(response.json().get("state").asText()).isEqualTo("rejected");
            assertThat(response.json().at("/diagnostics/0/code").asText()).as(host).isEqualTo("forbidden_host");
            ResponseRules.assertSafeHeaders(host, response.headers());
            ResponseRules.assertNoLeak(host, response.body());
        }
    }

    @Test
    void a_request_without_a_host_is_403_and_a_malformed_host_never_reaches_the_api() throws Exception {
        RawHttp.Response http10 = RawHttp.exchange(fixture.port, "GET /api/companion/status HTTP/1.0\r\n\r\n");
        assertThat(http10.status()).isEqualTo(403);
        assertThat(http10.json().at("/diagnostics/0/code").asText()).isEqualTo("forbidden_host");

        // Undertow's HTTP layer refuses these before any handler runs: an empty 400, connection closed.
        int port = fixture.port;
        String[] malformed = {"", "Host: 127.0.0.1:" + port + ".evil.example\r\n",
                "Host: 127.0.0.1:" + port + "@evil.example\r\n",
                "Host: 127.0.0.1:" + port + "\r\nHost: evil.example\r\n"};
        for (String host : malformed) {
            RawHttp.Response response = getWithHost(host);

            assertThat(response.status()).as(host).isIn(400, 403);
            assertThat(response.body()).as(host).doesNotContain("<").doesNotContain("ready");
        }
    }

    @Test
    void every_loopback_name_of_this_server_is_admitted() throws Exception {
        for (String host : new String[] {"127.0.0.1", "localhost", "LOCALHOST", "[::1]"}) {
            RawHttp.Response response = getWithHost("Host: " + host + ":" + fixture.port + "\r\n");

            assertThat(response.status()).as(host).isEqualTo(200);
        }
    }

    @Test
    void a_foreign_or_null_origin_is_403_forbidden_origin_and_nothing_is_sent() {
        String[] origins = {"http://evil.example", "null", "http://127.0.0.1:" + (fixture.port + 1),
                "https://127.0.0.1:" + fixture.port, "http://127.0.0.1:" + fixture.port + ".evil.example",
                "http://evil.example:" + fixture.port, "file://"};
        for (String origin : origins) {
            HttpResponse<String> response = fixture.postJson("/api/companion/messages", "{\"content\":\"hi\"}",
                    "Origin", origin);

            assertThat(response.statusCode()).as(origin).isEqualTo(403);
            assertThat(Fixture.json(response).at("/diagnostics/0/code").asText()).isEqualTo("forbidden_origin");
            assertThat(fixture.postJson("/api/companion/cancel", "{}", "Origin", origin).statusCode()).isEqualTo(403);
        }
        assertThat(fixture.runtime.companion().transcript(TranscriptQuery.newest()).totalItems()).isZero();
    }

    @Test
    void this_servers_own_origin_and_no_origin_at_all_are_admitted() throws Exception {
        fixture.model.script("one");
        HttpResponse<String> own = fixture.postJson("/api/companion/messages?wait=true", "{\"content\":\"a\"}",
                "Origin", "http://localhost:" + fixture.port);
        fixture.model.script("two");
        HttpResponse<String> none = fixture.postJson("/api/companion/messages?wait=true", "{\"content\":\"b\"}");

        assertThat(own.statusCode()).isEqualTo(200);
        assertThat(none.statusCode()).isEqualTo(200);
        assertThat(fixture.get("/api/companion/status", "Origin", "http://127.0.0.1:" + fixture.port).statusCode())
                .isEqualTo(200);
    }

    @Test
    void with_an_access_token_every_api_request_needs_it_as_a_bearer_token() {
        fixture.close();
        fixture = Fixture.configured(builder -> builder.accessToken(Optional.of("s3cret-token-for-tests")));

        HttpResponse<String> none = fixture.get("/api/companion/status");
        HttpResponse<String> wrong = fixture.get("/api/companion/status", "Authorization", "Bearer s3cret-token-for-test");
        HttpResponse<String> basic = fixture.get("/api/workers", "Authorization", "Basic s3cret-token-for-tests");
        HttpResponse<String> post = fixture.postJson("/api/companion/messages", "{\"content\":\"hi\"}");
        HttpResponse<String> right = fixture.get("/api/companion/status",
                "Authorization", "Bearer s3cret-token-for-tests");
        HttpResponse<String> console = fixture.get("/console");

        for (HttpResponse<String> refused : new HttpResponse[] {none, wrong, basic, post}) {
            assertThat(refused.statusCode()).isEqualTo(401);
            assertThat(Fixture.json(refused).at("/diagnostics/0/code").asText()).isEqualTo("unauthorized");
            assertThat(refused.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
            assertThat(refused.body()).doesNotContain("s3cret");
        }
        assertThat(right.statusCode()).isEqualTo(200);
        assertThat(console.statusCode()).as("the console's files hold no secret").isEqualTo(200);
        assertThat(fixture.runtime.companion().transcript(TranscriptQuery.newest()).totalItems()).isZero();
    }

    @Test
    void binding_beyond_loopback_without_a_token_is_refused_at_build() {
        for (String host : new String[] {"0.0.0.0", "::"}) {
            assertThatIllegalArgumentException()
                    .isThrownBy(() -> CompanionHttpServer.builder().conversations(fixture.runtime.conversations())
                            .workers(fixture.runtime).host(host).build())
                    .withMessageContaining("access token");
        }
    }

    @Test
    void bound_to_every_address_with_a_token_it_answers_to_any_host_that_has_the_token() throws Exception {
        try (CompanionHttpServer open = CompanionHttpServer.builder().conversations(fixture.runtime.conversations())
                .workers(fixture.runtime).host("0.0.0.0").accessToken(Optional.of("another-token-1234")).build()) {
            int port = open.start();

            RawHttp.Response named = RawHttp.exchange(port, "GET /api/workers HTTP/1.1\r\nHost: box.lan:" + port
                    + "\r\nAuthorization: Bearer another-token-1234\r\nConnection: close\r\n\r\n");
            RawHttp.Response anonymous = RawHttp.exchange(port, "GET /api/workers HTTP/1.1\r\nHost: box.lan:" + port
                    + "\r\nConnection: close\r\n\r\n");

            assertThat(named.status()).isEqualTo(200);
            assertThat(anonymous.status()).isEqualTo(401);
            assertThat(open.baseUri().toString()).isEqualTo("http://127.0.0.1:" + port + "/");
        }
    }

    @Test
    void a_busy_port_is_a_typed_failure_with_a_one_line_message() {
        CompanionHttpServer second = CompanionHttpServer.builder().conversations(fixture.runtime.conversations())
                .workers(fixture.runtime).port(fixture.port).build();

        assertThatExceptionOfType(CompanionException.class).isThrownBy(second::start)
                .satisfies(e -> {
                    assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.PORT_IN_USE);
                    assertThat(e.getMessage()).contains(Integer.toString(fixture.port)).contains("in use")
                            .doesNotContain("\n").doesNotContain("Exception");
                });
        second.close();
        assertThat(fixture.get("/api/companion/status").statusCode()).as("the first server still serves").isEqualTo(200);
    }

    @Test
    void start_reports_the_real_port_and_base_uri() {
        assertThat(fixture.port).isPositive();
        assertThat(fixture.server.port()).isEqualTo(fixture.port);
        assertThat(fixture.server.baseUri().toString()).isEqualTo("http://127.0.0.1:" + fixture.port + "/");
        assertThatExceptionOfType(IllegalStateException.class).isThrownBy(fixture.server::start);
    }

    @Test
    void the_console_is_served_from_the_classpath_and_the_root_redirects_to_it() {
        HttpResponse<String> root = fixture.get("/");
        HttpResponse<String> index = fixture.get("/console");
        HttpResponse<String> slash = fixture.get("/console/");
        HttpResponse<String> script = fixture.get("/console/app.js");

        assertThat(root.statusCode()).isEqualTo(302);
        assertThat(root.headers().firstValue("Location")).hasValue("/console");
        assertThat(index.statusCode()).isEqualTo(200);
        assertThat(index.body()).contains("test console page");
        assertThat(index.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
        assertThat(slash.body()).isEqualTo(index.body());
        assertThat(script.statusCode()).isEqualTo(200);
        assertThat(script.body()).contains("dataset.loaded");
        assertThat(script.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).contains("javascript"));
        assertThat(script.headers().firstValue("Cache-Control")).isEmpty();
    }

    @Test
    void a_console_directory_is_the_json_404_like_a_missing_file() {
        assertThat(fixture.get("/console/assets/style.css").statusCode()).isEqualTo(200);
        for (String path : new String[] {"/console/assets/", "/console/assets", "/console/assets/../assets/",
                "/console/missing/", "/console/vendor/", "/console/vendor"}) {
            HttpResponse<String> response = fixture.get(path);
            assertThat(response.statusCode()).as(path).isEqualTo(404);
            assertThat(response.headers().firstValue("Content-Type")).as(path).hasValue("application/json; charset=utf-8");
            assertThat(Fixture.json(response).at("/diagnostics/0/code").asText()).as(path).isEqualTo("not_found");
        }
    }

    @Test
    void a_storage_failure_is_500_with_the_storage_diagnostic_and_nothing_else() {
        fixture.close();
        fixture = Fixture.withStore(new FailingTranscriptStore());

        HttpResponse<String> response = fixture.postJson("/api/companion/messages", "{\"content\":\"hi\"}");

        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(Fixture.json(response).get("state").asText()).isEqualTo("error");
        assertThat(Fixture.json(response).at("/diagnostics/0/code").asText()).isEqualTo("storage_write_failed");
    }

    @Test
    void an_unexpected_failure_is_500_internal_error_with_a_generic_message() {
        fixture.close();
        fixture = Fixture.wrapping(companion -> new FailingCompanion(companion,
                new IllegalStateException("disk /home/someone/.companion/journal.log at dev.companion.X failed")));

        HttpResponse<String> transcript = fixture.get("/api/companion/transcript");
        HttpResponse<String> status = fixture.get("/api/companion/status");

        for (HttpResponse<String> response : java.util.List.of(transcript, status)) {
            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(Fixture.json(response).get("state").asText()).isEqualTo("error");
            assertThat(Fixture.json(response).at("/diagnostics/0/code").asText()).isEqualTo("internal_error");
            assertThat(response.body()).doesNotContain("journal").doesNotContain("IllegalState");
        }
    }

    @Test
    void a_sweep_of_every_route_and_error_keeps_the_headers_and_leaks_nothing() throws Exception {
        fixture.model.script("a reply");
        fixture.postJson("/api/companion/messages?wait=true", "{\"content\":\"sweep\"}");
        fixture.get("/api/companion/status");
        fixture.get("/api/companion/transcript?start=0&limit=5");
        fixture.get("/api/companion/transcript?start=x");
        fixture.get("/api/workers");
        fixture.postJson("/api/companion/cancel", "{}");
        fixture.postJson("/api/companion/messages", "{");
        fixture.postJson("/api/companion/messages", "{\"content\":\"\"}");
        fixture.post("/api/companion/messages", "text/plain", "x".getBytes(StandardCharsets.UTF_8));
        fixture.post("/api/companion/messages", "application/json", new byte[] {(byte) 0xFF});
        fixture.postJson("/api/companion/messages", "{\"content\":\"hi\"}", "Origin", "http://evil.example");
        fixture.method("DELETE", "/api/workers");
        fixture.method("OPTIONS", "/api/workers");
        fixture.get("/missing");
        fixture.get("/");
        fixture.get("/console");
        fixture.get("/console/app.js");

        assertThat(fixture.responses).hasSizeGreaterThanOrEqualTo(17);
        // The @AfterEach checks every one of them.
    }
}
