package dev.companion.adapter.llm;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The plain-http client against a real loopback server: bodies by chunks and by length, kept-alive connections. */
class PlainHttpTest {

    private static final String CHUNKED = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "8\r\ndata: a\n\r\n" + "8\r\ndata: b\n\r\n" + "0\r\n\r\n";
    private static final String BY_LENGTH = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nContent-Length: 11\r\n\r\n{\"error\":1}";

    private final ServerSocket server = loopback();
    private final AtomicInteger connections = new AtomicInteger();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final PlainHttp http = new PlainHttp();

    @AfterEach
    void close() throws IOException {
        server.close();
    }

    @Test
    void a_chunked_answer_read_to_its_end_leaves_the_connection_for_the_next_request() throws Exception {
        serve(Integer.MAX_VALUE, CHUNKED, CHUNKED);

        assertThat(body(http.send(request("first"), Duration.ofSeconds(5), c -> { }))).isEqualTo("data: a\ndata: b\n");
        assertThat(body(http.send(request("second"), Duration.ofSeconds(5), c -> { }))).isEqualTo("data: a\ndata: b\n");

        assertThat(connections.get()).isEqualTo(1);
        assertThat(requests).hasSize(2);
        assertThat(requests.get(0)).startsWith("POST /v1/chat/completions HTTP/1.1\r\n")
                .contains("\r\nHost: 127.0.0.1:" + server.getLocalPort() + "\r\n")
                .contains("\r\nContent-Length: 5\r\n").contains("\r\nX-Test: yes\r\n").endsWith("\r\n\r\nfirst");
    }

    @Test
    void a_kept_connection_the_server_has_closed_is_replaced_and_the_request_sent_once_more() throws Exception {
        serve(1, CHUNKED, CHUNKED);

        body(http.send(request("first"), Duration.ofSeconds(5), c -> { }));
        PlainHttp.Response second = http.send(request("second"), Duration.ofSeconds(5), c -> { });

        assertThat(body(second)).isEqualTo("data: a\ndata: b\n");
        assertThat(connections.get()).isEqualTo(2);
    }

    @Test
    void an_answer_by_length_gives_its_status_headers_and_body() throws Exception {
        serve(Integer.MAX_VALUE, BY_LENGTH);

        PlainHttp.Response response = http.send(request("x"), Duration.ofSeconds(5), c -> { });

        assertThat(response.status()).isEqualTo(429);
        assertThat(response.headers().firstValue("retry-after")).contains("3");
        assertThat(body(response)).isEqualTo("{\"error\":1}");
    }

    private ProviderRequest request(String body) {
        return ProviderRequest.postJson(URI.create("http://127.0.0.1:" + server.getLocalPort() + "/v1/chat/completions"),
                body.getBytes(StandardCharsets.UTF_8)).header("X-Test", "yes");
    }

    private static String body(PlainHttp.Response response) throws IOException {
        try (InputStream in = response.body()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Answers each connection's requests in turn with the answers given, closing it after {@code perConnection}. */
    private void serve(int perConnection, String... answers) {
        AtomicInteger next = new AtomicInteger();
        Thread acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket socket = server.accept()) {
                    connections.incrementAndGet();
                    InputStream in = socket.getInputStream();
                    OutputStream out = socket.getOutputStream();
                    for (int i = 0; i < perConnection; i++) {
                        String request = readRequest(in);
                        if (request == null) {
                            break;
                        }
                        requests.add(request);
                        out.write(answers[Math.min(next.getAndIncrement(), answers.length - 1)].getBytes(StandardCharsets.UTF_8));
                        out.flush();
                    }
                } catch (IOException e) {
                    return;
                }
            }
        }, "plain-http-test-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A request's head and its Content-Length body, or null when the connection ends first. */
    private static String readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        int at = text.indexOf("Content-Length: ");
        int length = at < 0 ? 0 : Integer.parseInt(text.substring(at + 16, text.indexOf("\r\n", at)).trim());
        return text + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    private static ServerSocket loopback() {
        try {
            return new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
