package dev.companion.adapter.llm;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * HTTP/1.1 over a blocking socket, for a provider reached over plain {@code http} (a server on this
 * machine or the local network: llama.cpp, Ollama, vLLM, LM Studio). The turn's own thread writes
 * the request and reads the reply as it streams, with Nagle off: no selector thread, no hand-off and
 * no wake-up of another thread between a piece arriving on the socket and the turn passing it on.
 * The JDK's {@code HttpClient} spends more time than the whole rest of a turn on its asynchronous
 * machinery for each request; it remains the client for {@code https}, where the network's time
 * dwarfs it. One kept-alive connection is reused while the last answer was read to its end.
 *
 * <p>Only what a provider's answer needs: a status, headers, and a body by length, by chunks or to
 * the end of the connection; informational (1xx) answers are skipped; no redirects, no proxy (as the
 * {@code HttpClient} is configured). A cancel or a time limit closes the socket, which ends a connect,
 * a wait for the head or a read at once.
 */
final class PlainHttp {

    private static final int MAX_HEAD_BYTES = 64 * 1024;

    /** An answer's head, and its body to read and then close (which keeps or ends the connection). */
    record Response(int status, HttpHeaders headers, InputStream body) {
    }

    private final Deque<Connection> idle = new ArrayDeque<>();

    /**
     * Sends the request and reads the answer's head. {@code opened} is given the connection before it
     * connects, so that an abort can close it at any point.
     */
    Response send(ProviderRequest request, Duration connectTimeout, Consumer<Closeable> opened) throws IOException {
        byte[] message = request.http11();
        Connection reused = takeIdle();
        if (reused != null) {
            opened.accept(reused);
            try {
                return exchange(reused, message);
            } catch (EOFException | java.net.SocketException staleConnection) {
                if (reused.closed) {
                    throw staleConnection; // closed here, by a cancel or a time limit
                }
                // The server closed the kept-alive connection before reading this request (nothing of
                // an answer arrived): a new connection is sent the same request once.
                reused.close();
            }
        }
        Connection fresh = new Connection(request.uri());
        opened.accept(fresh);
        fresh.connect(connectTimeout);
        return exchange(fresh, message);
    }

    private Response exchange(Connection connection, byte[] message) throws IOException {
        connection.out.write(message);
        connection.out.flush();
        while (true) {
            Head head = Head.read(connection.in);
            if (head.status / 100 == 1) {
                continue; // 100 Continue and the like: the answer follows
            }
            return new Response(head.status, head.headers(), body(connection, head));
        }
    }

    private InputStream body(Connection connection, Head head) throws IOException {
        String encoding = head.first("transfer-encoding");
        String length = head.first("content-length");
        boolean close = "close".equalsIgnoreCase(head.first("connection"));
        if (encoding != null && encoding.toLowerCase(Locale.ROOT).contains("chunked")) {
            return new Body(connection, close, -1, true);
        }
        if (length != null) {
            long declared;
            try {
                declared = Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                throw new IOException("a malformed Content-Length");
            }
            return new Body(connection, close, declared, false);
        }
        return new Body(connection, true, -1, false);
    }

    private synchronized Connection takeIdle() {
        return idle.pollFirst();
    }

    private synchronized void giveBack(Connection connection) {
        idle.addFirst(connection);
        while (idle.size() > 4) {
            idle.pollLast().close();
        }
    }

    /** One socket to the provider. */
    private static final class Connection implements Closeable {
        private final Socket socket = new Socket();
        private final URI uri;
        private volatile boolean closed;
        private InputStream in;
        private OutputStream out;

        Connection(URI uri) {
            this.uri = uri;
        }

        void connect(Duration timeout) throws IOException {
            int port = uri.getPort() >= 0 ? uri.getPort() : 80;
            socket.setTcpNoDelay(true);
            try {
                socket.connect(new InetSocketAddress(uri.getHost(), port), (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
            } catch (SocketTimeoutException e) {
                throw new java.net.http.HttpConnectTimeoutException("connect timed out");
            }
            in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
            out = socket.getOutputStream();
        }

        @Override
        public void close() {
            closed = true;
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing is how a connection is given up; nothing more to do
            }
        }
    }

    /** A status line and headers. */
    private record Head(int status, Map<String, List<String>> fields) {

        static Head read(InputStream in) throws IOException {
            int[] budget = {MAX_HEAD_BYTES};
            String statusLine = line(in, budget);
            if (statusLine == null) {
                throw new EOFException("the connection closed before an answer");
            }
            if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12) {
                throw new IOException("not an HTTP/1.x answer");
            }
            int status;
            try {
                status = Integer.parseInt(statusLine.substring(9, 12));
            } catch (NumberFormatException e) {
                throw new IOException("a malformed status line");
            }
            Map<String, List<String>> fields = new LinkedHashMap<>();
            for (String field = line(in, budget); ; field = line(in, budget)) {
                if (field == null) {
                    throw new EOFException("the connection closed inside an answer's head");
                }
                if (field.isEmpty()) {
                    return new Head(status, fields);
                }
                int colon = field.indexOf(':');
                if (colon > 0) {
                    fields.computeIfAbsent(field.substring(0, colon).trim().toLowerCase(Locale.ROOT), key -> new ArrayList<>(1))
                            .add(field.substring(colon + 1).trim());
                }
            }
        }

        String first(String name) {
            List<String> values = fields.get(name);
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        HttpHeaders headers() {
            return HttpHeaders.of(fields, (name, value) -> true);
        }
    }

    /** A line ending in LF (its CR dropped), or null at the end of the stream before any byte. */
    private static String line(InputStream in, int[] budget) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(64);
        while (true) {
            int b = in.read();
            if (b < 0) {
                return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
            }
            if (--budget[0] < 0) {
                throw new IOException("an answer's head is too long");
            }
            if (b == '\n') {
                String text = line.toString(StandardCharsets.ISO_8859_1);
                return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
            }
            line.write(b);
        }
    }

    /**
     * A body by length, by chunks or to the end of the connection. Closed after its end was read, it
     * gives its connection back for the next request; closed before, it closes the connection.
     */
    private final class Body extends InputStream {
        private final Connection connection;
        private final boolean closeAfter;
        private final boolean chunked;
        private long remaining;
        private boolean ended;
        private boolean closed;

        Body(Connection connection, boolean closeAfter, long length, boolean chunked) {
            this.connection = connection;
            this.closeAfter = closeAfter;
            this.chunked = chunked;
            this.remaining = chunked ? 0 : length;
            this.ended = !chunked && length == 0;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (closed) {
                throw new IOException("closed");
            }
            if (ended || length == 0) {
                return ended ? -1 : 0;
            }
            if (chunked && remaining == 0) {
                remaining = nextChunk();
                if (remaining == 0) {
                    ended = true;
                    return -1;
                }
            }
            int want = remaining > 0 ? (int) Math.min(length, remaining) : length;
            int n = connection.in.read(buffer, offset, want);
            if (n < 0) {
                if (remaining < 0) {
                    ended = true; // a body to the end of the connection
                    return -1;
                }
                throw new EOFException("the connection closed inside a body");
            }
            if (remaining > 0) {
                remaining -= n;
                if (remaining == 0 && !chunked) {
                    ended = true;
                } else if (remaining == 0) {
                    crlf();
                }
            }
            return n;
        }

        /** The next chunk's size; 0 at the last chunk, whose trailers are read here too. */
        private long nextChunk() throws IOException {
            int[] budget = {MAX_HEAD_BYTES};
            String size = line(connection.in, budget);
            if (size == null) {
                throw new EOFException("the connection closed inside a chunked body");
            }
            int extension = size.indexOf(';');
            long chunk;
            try {
                chunk = Long.parseLong((extension < 0 ? size : size.substring(0, extension)).trim(), 16);
            } catch (NumberFormatException e) {
                throw new IOException("a malformed chunk size");
            }
            if (chunk == 0) {
                for (String trailer = line(connection.in, budget); trailer != null && !trailer.isEmpty();
                     trailer = line(connection.in, budget)) {
                    // trailers carry nothing a reply needs
                }
            }
            return chunk;
        }

        private void crlf() throws IOException {
            int[] budget = {2};
            if (line(connection.in, budget) == null) {
                throw new EOFException("the connection closed inside a chunked body");
            }
        }

        /**
         * Reads what is left of the body if it has already arrived (a stream's last chunk comes
         * with its final event), so that the connection can be kept; never waits for more.
         */
        private void drainArrived() {
            byte[] skip = new byte[1024];
            try {
                for (int budget = 16; budget > 0 && !ended && connection.in.available() > 0; budget--) {
                    read(skip, 0, skip.length);
                }
            } catch (IOException e) {
                ended = false; // broken: the connection is closed below
            }
        }

        @Override
        public int available() throws IOException {
            return ended || closed ? 0 : Math.min(connection.in.available(), remaining > 0 ? (int) Math.min(Integer.MAX_VALUE, remaining) : Integer.MAX_VALUE);
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            if (!ended && !closeAfter) {
                drainArrived();
            }
            closed = true;
            if (ended && !closeAfter) {
                giveBack(connection);
            } else {
                connection.close();
            }
        }
    }
}
