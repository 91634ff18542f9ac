package dev.companion.adapter.http;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/**
 * Thousands of event streams read by one thread with non-blocking sockets, as thousands of
 * browsers would hold them. Each stream keeps the frames it received, parsed as {@link SseFrames}
 * parses them.
 */
final class ManyStreams implements AutoCloseable {

    /** One stream: its socket, the bytes not yet parsed and the frames so far. */
    static final class Stream {
        private final SocketChannel channel;
        private byte[] pending = new byte[512];
        private int length;
        private boolean headRead;
        int status;
        boolean ended;
        final List<SseFrames.Frame> frames = new ArrayList<>();

        private Stream(SocketChannel channel) {
            this.channel = channel;
        }

        /** The frames with data: events, not the retry hint or keep-alives. */
        List<SseFrames.Frame> events() {
            return frames.stream().filter(SseFrames.Frame::isEvent).toList();
        }

        private void received(ByteBuffer bytes) {
            int count = bytes.remaining();
            if (length + count > pending.length) {
                pending = Arrays.copyOf(pending, Math.max(pending.length * 2, length + count));
            }
            bytes.get(pending, length, count);
            length += count;
            int start = 0;
            if (!headRead) {
                int end = indexOf("\r\n\r\n", 0);
                if (end < 0) {
                    return;
                }
                String head = new String(pending, 0, end, StandardCharsets.ISO_8859_1);
                status = Integer.parseInt(head.split(" ")[1]);
                headRead = true;
                start = end + 4;
            }
            for (int end = indexOf("\n\n", start); end >= 0; end = indexOf("\n\n", start)) {
                frames.add(parse(new String(pending, start, end - start, StandardCharsets.UTF_8)));
                start = end + 2;
            }
            System.arraycopy(pending, start, pending, 0, length - start);
            length -= start;
        }

        private int indexOf(String marker, int from) {
            byte[] bytes = marker.getBytes(StandardCharsets.US_ASCII);
            outer:
            for (int i = from; i <= length - bytes.length; i++) {
                for (int j = 0; j < bytes.length; j++) {
                    if (pending[i + j] != bytes[j]) {
                        continue outer;
                    }
                }
                return i;
            }
            return -1;
        }

        private static SseFrames.Frame parse(String block) {
            String id = null;
            String event = null;
            String retry = null;
            List<String> data = new ArrayList<>();
            List<String> comments = new ArrayList<>();
            for (String line : block.split("\n", -1)) {
                if (line.startsWith(":")) {
                    comments.add(line.substring(1).trim());
                } else if (line.startsWith("id: ")) {
                    id = line.substring(4);
                } else if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    data.add(line.substring(6));
                } else if (line.startsWith("retry: ")) {
                    retry = line.substring(7);
                }
            }
            return new SseFrames.Frame(id, event, data, retry, comments);
        }
    }

    private final int port;
    private final Selector selector = Selector.open();
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(64 * 1024);
    final List<Stream> streams = new ArrayList<>();

    ManyStreams(int port) throws IOException {
        this.port = port;
    }

    /**
     * Opens {@code count} more streams of {@code path}, at most a few hundred connecting at once
     * (the server's accept backlog is finite), and waits until each has its head and first frame.
     */
    List<Stream> open(int count, String path, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        List<Stream> opened = new ArrayList<>();
        int connecting = 0;
        while (opened.size() < count || connecting > 0) {
            while (opened.size() < count && connecting < 200) {
                SocketChannel channel = SocketChannel.open();
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                Stream stream = new Stream(channel);
                channel.connect(new InetSocketAddress("127.0.0.1", port));
                channel.register(selector, SelectionKey.OP_CONNECT, stream);
                opened.add(stream);
                streams.add(stream);
                connecting++;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + (opened.size() - connecting) + " of " + count
                        + " streams opened in " + timeout);
            }
            selector.select(1000);
            for (SelectionKey key : selector.selectedKeys()) {
                Stream stream = (Stream) key.attachment();
                if (key.isConnectable()) {
                    stream.channel.finishConnect();
                    ByteBuffer out = ByteBuffer.wrap(request);
                    while (out.hasRemaining()) {
                        stream.channel.write(out);
                    }
                    key.interestOps(SelectionKey.OP_READ);
                } else if (key.isReadable()) {
                    boolean wasStarted = started(stream);
                    read(key, stream);
                    if (!wasStarted && started(stream)) {
                        connecting--;
                    }
                }
            }
            selector.selectedKeys().clear();
        }
        return opened;
    }

    private static boolean started(Stream stream) {
        return stream.ended || (stream.headRead && !stream.frames.isEmpty());
    }

    /** Reads every stream until each one meets {@code done}; false if that did not happen in time. */
    boolean readUntil(Predicate<Stream> done, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        java.util.Set<Stream> waiting = new java.util.HashSet<>();
        for (Stream stream : streams) {
            if (!done.test(stream)) {
                waiting.add(stream);
            }
        }
        while (!waiting.isEmpty()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            selector.select(1000);
            for (SelectionKey key : selector.selectedKeys()) {
                if (key.isReadable()) {
                    Stream stream = (Stream) key.attachment();
                    read(key, stream);
                    if (done.test(stream)) {
                        waiting.remove(stream);
                    }
                }
            }
            selector.selectedKeys().clear();
        }
        return true;
    }

    private void read(SelectionKey key, Stream stream) throws IOException {
        readBuffer.clear();
        int read;
        try {
            read = stream.channel.read(readBuffer);
        } catch (IOException reset) {
            read = -1;
        }
        if (read < 0) {
            stream.ended = true;
            key.cancel();
            stream.channel.close();
            return;
        }
        readBuffer.flip();
        stream.received(readBuffer);
    }

    @Override
    public void close() throws IOException {
        for (Stream stream : streams) {
            stream.channel.close();
        }
        selector.close();
    }
}
