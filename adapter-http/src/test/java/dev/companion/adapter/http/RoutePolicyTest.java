package dev.companion.adapter.http;

import dev.companion.core.ConversationQuery;
import dev.companion.core.model.TranscriptQuery;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The route table is the whole policy. These tests read the server's own table, so a route added
 * later is checked too: every route that is not declared public refuses a foreign Host, a foreign
 * Origin and a missing token before it runs, and the public ones are exactly the expected few.
 */
class RoutePolicyTest {

    private static final String TOKEN = "route-policy-token-1234";
    private static final String EVIL_ORIGIN = "http://evil.example";
    /** A body any route would take, so that a route that ran would change something. */
    private static final byte[] MESSAGE = "{\"content\":\"let me in\"}".getBytes(StandardCharsets.UTF_8);
    private static final Pattern PARAMETER = Pattern.compile("\\{([^}]+)}");

    private final Fixture fixture = Fixture.configured(builder -> builder.accessToken(Optional.of(TOKEN)));

    @AfterEach
    void stop() {
        try {
            assertThat(fixture.runtime.companion().transcript(TranscriptQuery.newest()).totalItems())
                    .as("no refused request reached a route").isZero();
            assertThat(fixture.runtime.conversations().list(ConversationQuery.newest()).conversations())
                    .as("no refused request created a conversation").hasSize(1);
        } finally {
            fixture.close();
        }
    }

    @Test
    void the_public_routes_are_exactly_the_console_files() {
        List<String> publicRoutes = fixture.server.routes().stream().filter(Route::isPublic)
                .map(route -> route.method() + " " + route.template()).toList();

        assertThat(publicRoutes).containsExactlyInAnyOrder("GET /", "GET /console", "HEAD /console",
                "GET /console/*", "HEAD /console/*", "GET /console/vendor/*", "HEAD /console/vendor/*");
    }

    @Test
    void every_route_not_declared_public_refuses_a_foreign_host_a_foreign_origin_and_a_missing_token()
            throws Exception {
        List<Route> guarded = fixture.server.routes().stream().filter(route -> !route.isPublic()).toList();
        assertThat(guarded).extracting(Route::template).contains("/api/companion/messages", "/api/companion/events",
                "/api/conversations", "/api/conversations/{id}", "/api/conversations/{id}/messages",
                "/api/conversations/{id}/edit", "/api/events", "/api/openapi.json");

        for (Route route : guarded) {
            String what = route.toString();
            String path = samplePath(route.template());

            RawHttp.Response foreignHost = send(route.method(), path, "evil.example:" + fixture.port,
                    List.of("Authorization: Bearer " + TOKEN));
            assertRefused(what + " foreign host", foreignHost, 403, "forbidden_host");

            RawHttp.Response foreignOrigin = send(route.method(), path, ownHost(),
                    List.of("Authorization: Bearer " + TOKEN, "Origin: " + EVIL_ORIGIN));
            assertRefused(what + " foreign origin", foreignOrigin, 403, "forbidden_origin");

            RawHttp.Response noToken = send(route.method(), path, ownHost(), List.of());
            assertRefused(what + " no token", noToken, 401, "unauthorized");
            assertThat(noToken.header("WWW-Authenticate")).as(what).isEqualTo("Bearer");

            RawHttp.Response wrongToken = send(route.method(), path, ownHost(),
                    List.of("Authorization: Bearer " + TOKEN + "x"));
            assertRefused(what + " wrong token", wrongToken, 401, "unauthorized");
        }
    }

    @Test
    void a_public_route_needs_no_token_but_still_checks_host_and_origin() throws Exception {
        for (Route route : fixture.server.routes().stream().filter(Route::isPublic).toList()) {
            String what = route.toString();
            String path = samplePath(route.template());

            assertRefused(what + " foreign host", send(route.method(), path, "evil.example:" + fixture.port,
                    List.of()), 403, "forbidden_host");
            assertRefused(what + " foreign origin", send(route.method(), path, ownHost(),
                    List.of("Origin: " + EVIL_ORIGIN)), 403, "forbidden_origin");
            RawHttp.Response anonymous = send(route.method(), path, ownHost(), List.of());
            assertThat(anonymous.status()).as(what + " without a token").isIn(200, 302, 404);
        }
        assertThat(send("GET", "/console/app.js", ownHost(), List.of()).status()).isEqualTo(200);
    }

    @Test
    void an_unknown_path_or_method_gets_every_guard_before_its_404_or_405() throws Exception {
        record Probe(String method, String path, int status, String allow) {
        }
        List<Probe> probes = List.of(new Probe("GET", "/nope", 404, null),
                new Probe("POST", "/api/nothing", 404, null),
                new Probe("GET", "/api/companion/status/extra", 404, null),
                new Probe("GET", "/api/companion/status/", 404, null),
                new Probe("DELETE", "/api/companion/status", 405, "GET"),
                new Probe("GET", "/api/companion/messages", 405, "POST"),
                new Probe("OPTIONS", "/api/workers", 405, "GET"),
                new Probe("POST", "/console", 405, "GET, HEAD"),
                new Probe("HEAD", "/", 405, "GET"),
                new Probe("PUT", "/console/app.js", 405, "GET, HEAD"));
        List<RawHttp.Response> answers = new ArrayList<>();
        for (Probe probe : probes) {
            String what = probe.method() + " " + probe.path();

            answers.add(assertRefused(what + " foreign host", send(probe.method(), probe.path(),
                    "evil.example:" + fixture.port, List.of("Authorization: Bearer " + TOKEN)), 403, "forbidden_host"));
            answers.add(assertRefused(what + " foreign origin", send(probe.method(), probe.path(), ownHost(),
                    List.of("Authorization: Bearer " + TOKEN, "Origin: " + EVIL_ORIGIN)), 403, "forbidden_origin"));
            // Without the token, a stranger cannot even learn which addresses exist.
            answers.add(assertRefused(what + " no token", send(probe.method(), probe.path(), ownHost(), List.of()),
                    401, "unauthorized"));

            RawHttp.Response withToken = send(probe.method(), probe.path(), ownHost(),
                    List.of("Authorization: Bearer " + TOKEN));
            answers.add(assertRefused(what, withToken, probe.status(),
                    probe.status() == 404 ? "not_found" : "method_not_allowed"));
            assertThat(withToken.header("Allow")).as(what).isEqualTo(probe.allow());
        }
        for (RawHttp.Response answer : answers) {
            assertThat(answer.header("Cache-Control")).isEqualTo("no-store");
        }
    }

    /** The template with a value in each {@code {name}} and a file of the test console for {@code *}. */
    private static String samplePath(String template) {
        Matcher parameters = PARAMETER.matcher(template);
        StringBuilder path = new StringBuilder();
        while (parameters.find()) {
            parameters.appendReplacement(path, "sample-" + parameters.group(1));
        }
        parameters.appendTail(path);
        return path.toString().replace("*", "app.js");
    }

    private String ownHost() {
        return "127.0.0.1:" + fixture.port;
    }

    /** One request on a connection of its own, with a JSON body for the methods that carry one. */
    private RawHttp.Response send(String method, String path, String host, List<String> headers) throws Exception {
        boolean body = !method.equals("GET") && !method.equals("HEAD") && !method.equals("OPTIONS");
        StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\n");
        headers.forEach(header -> head.append(header).append("\r\n"));
        if (body) {
            head.append("Content-Type: application/json\r\nContent-Length: ").append(MESSAGE.length).append("\r\n");
        }
        head.append("Connection: close\r\n\r\n");
        return RawHttp.exchange(fixture.port, head.toString(), body ? MESSAGE : new byte[0]);
    }

    private static RawHttp.Response assertRefused(String what, RawHttp.Response response, int status, String code) {
        assertThat(response.status()).as(what + ": " + response.body()).isEqualTo(status);
        ResponseRules.assertSafeHeaders(what, response.headers());
        if (what.startsWith("HEAD ")) {
            assertThat(response.body()).as(what + " has no body").isEmpty();
            return response;
        }
        assertThat(response.json().get("state").asText()).as(what).isEqualTo("rejected");
        assertThat(response.json().at("/diagnostics/0/code").asText()).as(what).isEqualTo(code);
        ResponseRules.assertNoLeak(what, response.body());
        return response;
    }
}
