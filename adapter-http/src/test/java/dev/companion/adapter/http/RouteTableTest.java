package dev.companion.adapter.http;

import io.undertow.Undertow;
import io.undertow.server.HttpHandler;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** How the route table matches paths: templates with {@code {id}}, strictly, and the table's own rules. */
class RouteTableTest {

    private static final HttpHandler NOTHING = exchange -> { };

    private static RouteTable conversations() {
        return RouteTable.builder()
                .guarded("GET", "/api/conversations", NOTHING)
                .guarded("POST", "/api/conversations", Route.Body.JSON, NOTHING)
                .guarded("GET", "/api/conversations/{id}", NOTHING)
                .guarded("DELETE", "/api/conversations/{id}", NOTHING)
                .guarded("GET", "/api/conversations/{id}/status", NOTHING)
                .guarded("GET", "/api/conversations/{id}/transcript/export", NOTHING)
                .guarded("GET", "/api/conversations/default", NOTHING)
                .publicRead("GET", "/files/*", NOTHING)
                .build();
    }

    @Test
    void a_path_parameter_matches_one_non_empty_segment() {
        RouteTable table = conversations();

        RouteTable.Match status = table.match("GET", "/api/conversations/c-1/status");
        assertThat(status).isInstanceOfSatisfying(RouteTable.Match.Found.class, found -> {
            assertThat(found.route().template()).isEqualTo("/api/conversations/{id}/status");
            assertThat(found.path().getParameters()).containsExactly(Map.entry("id", "c-1"));
        });
        assertThat(table.match("GET", "/api/conversations/c-1/transcript/export"))
                .isInstanceOf(RouteTable.Match.Found.class);

        for (String path : new String[] {"/api/conversations/", "/api/conversations//status",
                "/api/conversations/c-1/", "/api/conversations/c-1/status/", "/api/conversations/c-1/other",
                "/api/conversations/c-1/status/more", "/api/conversationsx", "/api", "/api/conversations/c-1?x",
                "/api/conversations/c-1?x/status", "/api/conversations/c-1/status?"}) {
            assertThat(table.match("GET", path)).as(path).isInstanceOf(RouteTable.Match.NotFound.class);
        }
    }

    @Test
    void a_literal_segment_wins_over_a_parameter_and_a_wildcard_takes_the_rest() {
        RouteTable table = conversations();

        assertThat(table.match("GET", "/api/conversations/default")).isInstanceOfSatisfying(
                RouteTable.Match.Found.class, found -> assertThat(found.route().template())
                        .isEqualTo("/api/conversations/default"));
        assertThat(table.match("GET", "/files/a/b.js")).isInstanceOfSatisfying(RouteTable.Match.Found.class,
                found -> assertThat(found.path().getParameters()).containsEntry("*", "a/b.js"));
        assertThat(table.match("GET", "/files/")).isInstanceOf(RouteTable.Match.Found.class);
        assertThat(table.match("GET", "/files")).isInstanceOf(RouteTable.Match.NotFound.class);
    }

    @Test
    void a_known_path_with_another_method_lists_the_methods_it_takes() {
        RouteTable table = conversations();

        assertThat(table.match("PUT", "/api/conversations/c-1")).isInstanceOfSatisfying(
                RouteTable.Match.WrongMethod.class, wrong -> assertThat(wrong.allowed()).containsExactly("DELETE", "GET"));
        assertThat(table.match("DELETE", "/api/conversations")).isInstanceOfSatisfying(
                RouteTable.Match.WrongMethod.class, wrong -> assertThat(wrong.allowed()).containsExactly("GET", "POST"));
    }

    @Test
    void a_route_declared_twice_or_a_template_equivalent_to_another_is_refused() {
        assertThatIllegalArgumentException().isThrownBy(() -> RouteTable.builder()
                .guarded("GET", "/a/{id}", NOTHING).guarded("GET", "/a/{id}", NOTHING));
        assertThatIllegalArgumentException().isThrownBy(() -> RouteTable.builder()
                .guarded("GET", "/a/{id}", NOTHING).guarded("POST", "/a/{name}", NOTHING).build());
    }

    @Test
    void only_reads_can_be_public() {
        for (String method : new String[] {"POST", "PUT", "DELETE", "PATCH"}) {
            assertThatIllegalArgumentException().as(method)
                    .isThrownBy(() -> RouteTable.builder().publicRead(method, "/x", NOTHING))
                    .withMessageContaining("only GET and HEAD");
        }
        assertThat(RouteTable.builder().publicRead("HEAD", "/x", NOTHING).build().routes())
                .singleElement().satisfies(route -> assertThat(route.isPublic()).isTrue());
    }

    @Test
    void a_route_reads_its_decoded_path_parameter_behind_the_guards() throws Exception {
        RouteTable table = RouteTable.builder()
                .guarded("GET", "/things/{id}/status", exchange -> Responses.json(exchange, 200,
                        Map.of("id", RouteTable.pathParameter(exchange, "id"))))
                .guarded("POST", "/things/{id}/rename", Route.Body.JSON, exchange -> Responses.json(exchange, 200,
                        Map.of("id", RouteTable.pathParameter(exchange, "id"),
                                "body", RequestBodies.readUtf8(exchange))))
                .guarded("GET", "/things/{id}/broken", exchange -> RouteTable.pathParameter(exchange, "name"))
                .build();
        AtomicReference<AllowedHosts> hosts = new AtomicReference<>();
        Undertow server = Undertow.builder().addHttpListener(0, "127.0.0.1")
                .setHandler(CompanionHttpServer.handlers(hosts::get, Optional.empty(), table)).build();
        server.start();
        try {
            int port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
            hosts.set(AllowedHosts.of("127.0.0.1", port, false));
            HttpClient client = HttpClient.newHttpClient();
            URI base = URI.create("http://127.0.0.1:" + port);

            HttpResponse<String> status = client.send(HttpRequest.newBuilder(base.resolve("/things/a%20b/status"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> rename = client.send(HttpRequest.newBuilder(base.resolve("/things/t-7/rename"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"label\":\"new\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> notJson = client.send(HttpRequest.newBuilder(base.resolve("/things/t-7/rename"))
                    .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString("new")).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> empty = client.send(HttpRequest.newBuilder(base.resolve("/things//status")).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> broken = client.send(HttpRequest.newBuilder(base.resolve("/things/t-7/broken"))
                    .build(), HttpResponse.BodyHandlers.ofString());

            assertThat(status.statusCode()).isEqualTo(200);
            assertThat(Json.read(status.body()).get("id").asText()).isEqualTo("a b");
            assertThat(rename.statusCode()).isEqualTo(200);
            assertThat(Json.read(rename.body()).get("id").asText()).isEqualTo("t-7");
            assertThat(Json.read(rename.body()).get("body").asText()).isEqualTo("{\"label\":\"new\"}");
            assertThat(notJson.statusCode()).isEqualTo(415);
            assertThat(empty.statusCode()).isEqualTo(404);
            assertThat(broken.statusCode()).as("a route that names a parameter it lacks is a bug: 500").isEqualTo(500);
            assertThat(broken.body()).doesNotContain("name").doesNotContain("Exception");
        } finally {
            server.stop();
        }
    }

    @Test
    void only_reads_can_run_on_the_io_thread() {
        for (String method : new String[] {"POST", "PUT", "DELETE", "PATCH"}) {
            assertThatIllegalArgumentException().as(method)
                    .isThrownBy(() -> RouteTable.builder().guardedOnIoThread(method, "/x", NOTHING))
                    .withMessageContaining("only GET and HEAD");
        }
    }

    @Test
    void a_route_runs_on_the_io_thread_only_when_declared_so_and_is_guarded_all_the_same() throws Exception {
        RouteTable table = RouteTable.builder()
                .guardedOnIoThread("GET", "/fast", exchange -> Responses.json(exchange, 200,
                        Map.of("io_thread", exchange.isInIoThread())))
                .guarded("GET", "/slow", exchange -> Responses.json(exchange, 200,
                        Map.of("io_thread", exchange.isInIoThread())))
                .build();
        AtomicReference<AllowedHosts> hosts = new AtomicReference<>();
        Undertow server = Undertow.builder().addHttpListener(0, "127.0.0.1")
                .setHandler(CompanionHttpServer.handlers(hosts::get, Optional.of(AccessToken.of("t0ken-for-the-test")),
                        table)).build();
        server.start();
        try {
            int port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
            hosts.set(AllowedHosts.of("127.0.0.1", port, false));
            HttpClient client = HttpClient.newHttpClient();
            URI base = URI.create("http://127.0.0.1:" + port);
            HttpRequest.Builder withToken = HttpRequest.newBuilder().header("Authorization", "Bearer t0ken-for-the-test");

            HttpResponse<String> fast = client.send(withToken.copy().uri(base.resolve("/fast")).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> slow = client.send(withToken.copy().uri(base.resolve("/slow")).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> noToken = client.send(HttpRequest.newBuilder(base.resolve("/fast")).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(fast.statusCode()).isEqualTo(200);
            assertThat(Json.read(fast.body()).get("io_thread").asBoolean()).isTrue();
            assertThat(slow.statusCode()).isEqualTo(200);
            assertThat(Json.read(slow.body()).get("io_thread").asBoolean()).isFalse();
            assertThat(noToken.statusCode()).as("the token is checked before any route runs").isEqualTo(401);
        } finally {
            server.stop();
        }
    }
}
