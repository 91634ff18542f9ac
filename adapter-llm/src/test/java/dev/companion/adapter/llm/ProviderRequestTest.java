package dev.companion.adapter.llm;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class ProviderRequestTest {

    private static final URI ENDPOINT = URI.create("http://127.0.0.1:8080/v1/chat/completions?api-version=2");

    @Test
    void the_plain_message_has_the_request_line_host_length_headers_and_body() {
        ProviderRequest request = ProviderRequest.postJson(ENDPOINT, "{\"a\":\"é\"}".getBytes(StandardCharsets.UTF_8))
                .header("Authorization", "Bearer sk-secret");

        assertThat(new String(request.http11(), StandardCharsets.UTF_8)).isEqualTo(
                "POST /v1/chat/completions?api-version=2 HTTP/1.1\r\n"
                        + "Host: 127.0.0.1:8080\r\n"
                        + "Content-Length: 10\r\n"
                        + "Content-Type: application/json\r\n"
                        + "Accept: text/event-stream\r\n"
                        + "Authorization: Bearer sk-secret\r\n"
                        + "\r\n"
                        + "{\"a\":\"é\"}");
    }

    @Test
    void the_jdk_request_carries_the_same_uri_headers_and_body() {
        ProviderRequest request = ProviderRequest.postJson(ENDPOINT, new byte[] {'{', '}'}).header("x-api-key", "k");

        HttpRequest jdk = request.toHttpRequest();

        assertThat(jdk.uri()).isEqualTo(ENDPOINT);
        assertThat(jdk.method()).isEqualTo("POST");
        assertThat(jdk.headers().firstValue("x-api-key")).contains("k");
        assertThat(jdk.headers().firstValue("accept")).contains("text/event-stream");
        assertThat(jdk.bodyPublisher().orElseThrow().contentLength()).isEqualTo(2);
    }

    @Test
    void a_header_with_a_line_break_is_refused_and_the_request_never_prints_its_headers_or_body() {
        ProviderRequest request = ProviderRequest.postJson(ENDPOINT, "{\"content\":\"private words\"}"
                .getBytes(StandardCharsets.UTF_8)).header("Authorization", "Bearer sk-canary");

        assertThatIllegalArgumentException().isThrownBy(() -> request.header("Authorization", "Bearer x\r\nX-Evil: 1"));
        assertThatIllegalArgumentException().isThrownBy(() -> request.header("X-Evil\n", "1"));
        assertThat(request.toString()).isEqualTo("POST " + ENDPOINT).doesNotContain("sk-canary", "private words");
        assertThat(new String(request.http11(), StandardCharsets.UTF_8)).contains("\r\nAuthorization: Bearer sk-canary\r\n");
    }
}
