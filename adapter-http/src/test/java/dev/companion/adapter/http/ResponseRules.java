package dev.companion.adapter.http;

import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** What holds for every response of the server, whatever was asked. */
final class ResponseRules {

    /** Absolute file-system paths of this machine and of the usual kinds, and Java source or archive names. */
    private static final Pattern PATH_LIKE = Pattern.compile(
            "(?<![A-Za-z0-9.])/(home|root|tmp|usr|var|etc|opt|work|srv|mnt|Users|private)/"
                    + "|[A-Za-z]:\\\\"
                    + "|\\.(java|class|jar)\\b"
                    + "|file:");

    private ResponseRules() {
    }

    /**
     * Every answer a test received: safe headers, no leak in the body, and, for each, whatever else
     * the test adds (given the answer and its "METHOD uri" label).
     */
    static void assertEverySafe(List<HttpResponse<String>> responses,
                                java.util.function.BiConsumer<String, HttpResponse<String>> andAlso) {
        for (HttpResponse<String> response : responses) {
            String what = response.request().method() + " " + response.uri();
            assertSafeHeaders(what, response.headers());
            assertNoLeak(what, response.body());
            andAlso.accept(what, response);
        }
    }

    static void assertSafeHeaders(String what, Map<String, List<String>> headers) {
        assertThat(first(headers, "content-security-policy")).as(what + " CSP")
                .isEqualTo(SecurityHeaders.CONTENT_SECURITY_POLICY);
        assertThat(first(headers, "x-content-type-options")).as(what + " nosniff").isEqualTo("nosniff");
        assertThat(first(headers, "referrer-policy")).as(what + " referrer policy").isEqualTo("no-referrer");
        assertThat(headers.keySet()).as(what + " has no CORS header")
                .noneMatch(name -> name.toLowerCase(java.util.Locale.ROOT).startsWith("access-control-"));
    }

    static void assertSafeHeaders(String what, HttpHeaders headers) {
        assertSafeHeaders(what, headers.map());
    }

    static void assertNoLeak(String what, String body) {
        assertThat(body).as(what + " mentions no exception").doesNotContain("Exception").doesNotContain("at dev.");
        assertThat(PATH_LIKE.matcher(body).find()).as(what + " names no file-system path: " + body).isFalse();
        String home = System.getProperty("user.home");
        String workingDirectory = System.getProperty("user.dir");
        assertThat(body).as(what + " names no local directory").doesNotContain(home).doesNotContain(workingDirectory);
    }

    private static String first(Map<String, List<String>> headers, String name) {
        for (Map.Entry<String, List<String>> header : headers.entrySet()) {
            if (header.getKey().equalsIgnoreCase(name)) {
                return header.getValue().get(0);
            }
        }
        return null;
    }
}
