package dev.companion.bench.overhead;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A minimal HTTP/1.1 client on one kept-alive socket with Nagle off: the bench's measuring end, so
 * that the time measured is the servers' and not a client library's. It reads exactly what it needs
 * (status, headers, a body by length or by chunks) and hands each chunk to the caller as it arrives.
 */
final class RawHttp implements AutoCloseable {

    /** Sees each piece of a response body as it arrives. */
    interface ChunkListener {
        void chunk(byte[] bytes, int length);
    }

    private final String host;
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    RawHttp(int port) throws IOException {
        this.host = "127.0.0.1:" + port;
        this.socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress("127.0.0.1", port));
        this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        this.out = socket.getOutputStream();
    }

    void setReadTimeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    /** Sends a request; the body may be null (then none is sent). */
    void send(String method, String target, String contentType, byte[] body, String... headers) throws IOException {
        StringBuilder head = new StringBuilder(256);
        head.append(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
        for (String header : headers) {
            head.append(header).append("\r\n");
        }
        if (body != null) {
            head.append("Content-Type: ").append(contentType).append("\r\nContent-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        byte[] headBytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
        if (body == null) {
            out.write(headBytes);
        } else {
            byte[] all = new byte[headBytes.length + body.length];
            System.arraycopy(headBytes, 0, all, 0, headBytes.length);
            System.arraycopy(body, 0, all, headBytes.length, body.length);
            out.write(all);
        }
        out.flush();
    }

    /** Reads a response's status and headers, then its body piece by piece; returns the status. */
    int read(ChunkListener listener) throws IOException {
        String status = line();
        if (status == null) {
            throw new IOException("the connection closed before an answer");
        }
        int code = Integer.parseInt(status.substring(9, 12));
        long length = -1;
        boolean chunked = false;
        for (String header = line(); header != null && !header.isEmpty(); header = line()) {
            String lower = header.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(lower.substring(15).trim());
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            }
        }
        byte[] buffer = new byte[16 * 1024];
        if (chunked) {
            while (true) {
                String size = line();
                if (size == null) {
                    throw new IOException("the connection closed inside a chunked body");
                }
                int semicolon = size.indexOf(';');
                int remaining = Integer.parseInt((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
                if (remaining == 0) {
                    while (true) {
                        String trailer = line();
                        if (trailer == null || trailer.isEmpty()) {
                            return code;
                        }
                    }
                }
                if (buffer.length < remaining) {
                    buffer = new byte[remaining];
                }
                int got = in.readNBytes(buffer, 0, remaining);
                if (got < remaining) {
                    throw new IOException("the connection closed inside a chunk");
                }
                listener.chunk(buffer, remaining);
                line();
            }
        }
        if (length < 0) {
            // Neither a length nor chunks: the body runs to the end of the connection (an event stream).
            for (int got = in.read(buffer); got >= 0; got = in.read(buffer)) {
                listener.chunk(buffer, got);
            }
            return code;
        }
        long remaining = length;
        while (remaining > 0) {
            int got = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
            if (got < 0) {
                throw new IOException("the connection closed inside a body");
            }
            listener.chunk(buffer, got);
            remaining -= got;
        }
        return code;
    }

    /** Reads a whole response into one array. */
    Response readWhole() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int status = read((bytes, length) -> body.write(bytes, 0, length));
        return new Response(status, body.toByteArray());
    }

    record Response(int status, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private String line() throws IOException {
        StringBuilder line = new StringBuilder(64);
        while (true) {
            int b = in.read();
            if (b < 0) {
                return line.length() == 0 ? null : line.toString();
            }
            if (b == '\n') {
                int end = line.length();
                if (end > 0 && line.charAt(end - 1) == '\r') {
                    line.setLength(end - 1);
                }
                return line.toString();
            }
            line.append((char) b);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
