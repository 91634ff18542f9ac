package dev.companion.adapter.http;

import dev.companion.prompts.ClasspathPromptCatalog;
import dev.companion.runtime.CompanionRuntime;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The real console (console-web on the classpath) with the server's default resource settings. */
class RealConsoleTest {

    @Test
    void the_console_page_and_every_asset_it_names_are_served_with_the_right_types() throws Exception {
        try (CompanionRuntime runtime = CompanionRuntime.builder().prompts(new ClasspathPromptCatalog()).build();
             CompanionHttpServer server = CompanionHttpServer.builder().conversations(runtime.conversations())
                     .workers(runtime).build()) {
            server.start();
            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> page = client.send(HttpRequest.newBuilder(server.baseUri().resolve("/console")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
            ResponseRules.assertSafeHeaders("/console", page.headers());

            List<String> assets = new ArrayList<>();
            Matcher matcher = Pattern.compile("(?:src|href)=\"(/console/[^\"]+)\"").matcher(page.body());
            while (matcher.find()) {
                assets.add(matcher.group(1));
            }
            assertThat(assets).anyMatch(a -> a.startsWith("/console/vendor/")).anyMatch(a -> a.endsWith(".css"));
            for (String asset : assets) {
                URI uri = server.baseUri().resolve(asset);
                HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as(asset).isEqualTo(200);
                String type = response.headers().firstValue("Content-Type").orElse("");
                if (asset.endsWith(".js")) {
                    assertThat(type).as(asset).containsAnyOf("text/javascript", "application/javascript");
                } else if (asset.endsWith(".css")) {
                    assertThat(type).as(asset).startsWith("text/css");
                }
                ResponseRules.assertSafeHeaders(asset, response.headers());
            }
            HttpResponse<String> missingVendor = client.send(HttpRequest.newBuilder(
                    server.baseUri().resolve("/console/vendor/nothing/1.0/x.js")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(missingVendor.statusCode()).isEqualTo(404);

            // Every directory above a WebJar file, with and without its slash, is the JSON 404.
            String vendorAsset = assets.stream().filter(a -> a.startsWith("/console/vendor/")).findFirst().orElseThrow();
            List<String> directories = new ArrayList<>();
            for (int slash = vendorAsset.lastIndexOf('/'); slash >= "/console/vendor".length();
                 slash = vendorAsset.lastIndexOf('/', slash - 1)) {
                directories.add(vendorAsset.substring(0, slash + 1));
                directories.add(vendorAsset.substring(0, slash));
            }
            assertThat(directories).contains("/console/vendor/", "/console/vendor/marked/", "/console/vendor/marked");
            for (String directory : directories) {
                for (String method : new String[] {"GET", "HEAD"}) {
                    HttpResponse<String> response = client.send(HttpRequest.newBuilder(server.baseUri().resolve(directory))
                            .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                    assertThat(response.statusCode()).as(method + " " + directory).isEqualTo(404);
                    assertThat(response.headers().firstValue("Content-Type")).as(directory)
                            .hasValue("application/json; charset=utf-8");
                    if (method.equals("GET")) {
                        assertThat(Json.read(response.body()).at("/diagnostics/0/code").asText()).isEqualTo("not_found");
                    }
                    ResponseRules.assertSafeHeaders(directory, response.headers());
                }
            }
        }
    }
}
