package dev.companion.bench.fanout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * How fast one reply fans out to many open event streams, and what 10,000 idle streams cost.
 *
 * <p>Starts the product ({@code java -jar companion.jar serve --port 0 --ephemeral --provider
 * offline}) in a process of its own, opens {@code --streams} event streams on
 * {@code /api/companion/events} from this process (one thread, non-blocking sockets, as many
 * browsers would hold them), and sends {@code --turns} messages. The offline model writes a reply
 * a word at a time, {@code --pause-ms} apart (100 by default), so every {@code text_delta} is
 * fanned out on its own: the figure is one delta's fan-out, not a backlog of them. For each
 * delta on each stream the latency is the time it is read here minus the event's {@code at},
 * stamped by the server as it publishes the event (same machine, same clock); it includes this
 * reader's own work. Then it opens streams up to {@code --idle} and reads the server's VmRSS.
 * {@code GET /api/companion/status} is timed, one request after another, before any stream is open
 * and with all of them open.
 *
 * <pre>
 * ./mvnw -B -q -pl companion-app -am package -DskipTests
 * java bench/src/main/java/dev/companion/bench/fanout/FanOutBench.java [--jar companion-app/target/companion.jar]
 *      [--streams 1000] [--turns 5] [--warmup 2] [--idle 10000] [--pause-ms 100]
 *      [--server-jvm "-XX:StartFlightRecording=..."]
 * </pre>
 */
public final class FanOutBench {

    private FanOutBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new HashMap<>(Map.of("--jar", "companion-app/target/companion.jar",
                "--streams", "1000", "--turns", "5", "--warmup", "2", "--idle", "10000", "--server-jvm", "",
                "--pause-ms", "100"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!options.containsKey(args[i])) {
                throw new IllegalArgumentException("unknown option " + args[i] + "; known: " + options.keySet());
            }
            options.put(args[i], args[i + 1]);
        }
        int streams = Integer.parseInt(options.get("--streams"));
        int turns = Integer.parseInt(options.get("--turns"));
        int warmup = Integer.parseInt(options.get("--warmup"));
        int idle = Integer.parseInt(options.get("--idle"));
        Path jar = Path.of(options.get("--jar"));
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: ./mvnw -B -q -pl companion-app -am package -DskipTests");
        }

        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java));
        for (String option : options.get("--server-jvm").split(" ")) {
            if (!option.isBlank()) {
                command.add(option);
            }
        }
        command.addAll(List.of("-jar", jar.toString(), "serve", "--port", "0", "--ephemeral", "--provider", "offline"));
        ProcessBuilder start = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        // The offline model's pause between words: long enough that each delta is fanned out alone.
        start.environment().put("COMPANION_OFFLINE_PAUSE_MS", options.get("--pause-ms"));
        Process server = start.start();
        try {
            int port = awaitPort(server);
            System.out.printf("server pid %d on port %d; %d CPUs, %s%n", server.pid(), port,
                    Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.version"));
            Thread.sleep(2000);
            HttpClient status = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            URI statusUri = URI.create("http://127.0.0.1:" + port + "/api/companion/status");
            System.out.printf("idle server, no streams: VmRSS %d MiB; GET status one at a time: %s%n",
                    residentKib(server.pid()) / 1024, summary(statusLatencies(status, statusUri)));

            try (Readers readers = new Readers(port)) {
                readers.open(streams);
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                List<Long> latencies = new ArrayList<>();
                List<Long> spreads = new ArrayList<>();
                long[] cpuBefore = null;
                for (int turn = 0; turn < warmup + turns; turn++) {
                    if (turn == warmup) {
                        cpuBefore = cpuTicks(server.pid());
                    }
                    readers.resetTurn();
                    HttpResponse<String> sent = http.send(HttpRequest.newBuilder(
                                    URI.create("http://127.0.0.1:" + port + "/api/companion/messages"))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"tell me something, turn "
                                    + turn + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
                    if (sent.statusCode() != 202) {
                        throw new IllegalStateException("the message was answered " + sent.statusCode() + ": "
                                + sent.body());
                    }
                    readers.readTurn(Duration.ofSeconds(60));
                    if (turn >= warmup) {
                        latencies.addAll(readers.latencies);
                        spreads.addAll(readers.spreads());
                    }
                }
                System.out.printf("fan-out of a text_delta to %d streams, %d turns (%d deltas on each stream):%n",
                        streams, turns, latencies.size() / streams);
                System.out.printf("  publish -> read, every delta on every stream: %s%n", summary(latencies));
                System.out.printf("  first stream -> last stream, per delta:       %s%n", summary(spreads));
                long[] cpuAfter = cpuTicks(server.pid());
                int deltas = latencies.size() / streams;
                System.out.printf("  server CPU per delta fanned out: %.2f ms in all, %.2f ms on the IO threads "
                                + "(/proc ticks over the %d deltas, including the turns' own work)%n",
                        (cpuAfter[0] - cpuBefore[0]) * 10.0 / deltas, (cpuAfter[1] - cpuBefore[1]) * 10.0 / deltas,
                        deltas);

                readers.open(idle - streams);
                Thread.sleep(3000);
                System.out.printf("%d idle streams open: server VmRSS %d MiB; GET status one at a time: %s%n", idle,
                        residentKib(server.pid()) / 1024, summary(statusLatencies(status, statusUri)));
            }
        } finally {
            server.destroy();
            if (!server.waitFor(20, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }

    /** 500 warm-up requests, then the latency of 2,000 more, one after the other on one connection. */
    private static List<Long> statusLatencies(HttpClient http, URI status) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(status).GET().build();
        List<Long> latencies = new ArrayList<>();
        for (int i = 0; i < 2500; i++) {
            long start = System.nanoTime();
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("status answered " + response.statusCode());
            }
            if (i >= 500) {
                latencies.add(System.nanoTime() - start);
            }
        }
        return latencies;
    }

    private static int awaitPort(Process server) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            if (line.startsWith("Companion console: ")) {
                int port = URI.create(line.substring("Companion console: ".length()).trim()).getPort();
                Thread drain = new Thread(() -> {
                    try {
                        while (out.readLine() != null) {
                            // the server's further output is not needed
                        }
                    } catch (IOException e) {
                        // the server ended
                    }
                }, "server-output");
                drain.setDaemon(true);
                drain.start();
                return port;
            }
        }
        throw new IllegalStateException("the server ended before it printed its address");
    }

    private static String summary(List<Long> nanos) {
        if (nanos.isEmpty()) {
            return "no samples";
        }
        long[] sorted = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
        return String.format("p50 %.2f ms, p99 %.2f ms, max %.2f ms (n=%d)", percentile(sorted, 50),
                percentile(sorted, 99), sorted[sorted.length - 1] / 1e6, sorted.length);
    }

    private static double percentile(long[] sorted, double p) {
        int index = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1e6;
    }

    /** CPU ticks (1/100 s) the process has used: in all, and on its XNIO IO threads. */
    static long[] cpuTicks(long pid) throws IOException {
        long all = 0;
        long io = 0;
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
                    all += ticks;
                    if (Files.readString(task.resolve("comm")).contains("I/O")) {
                        io += ticks;
                    }
                } catch (IOException | RuntimeException gone) {
                    // a thread that ended meanwhile
                }
            }
        }
        return new long[] {all, io};
    }

    static long residentKib(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    /** Many event streams read by one thread; each frame is looked at only for its event and its {@code at}. */
    private static final class Readers implements AutoCloseable {
        private static final byte[] FRAME_END = {'\n', '\n'};

        private final int port;
        private final Selector selector = Selector.open();
        private final ByteBuffer buffer = ByteBuffer.allocateDirect(256 * 1024);
        private final List<Reader> all = new ArrayList<>();
        final List<Long> latencies = new ArrayList<>();
        /** Per delta cursor: the earliest and latest read time across streams. */
        private final Map<Long, long[]> firstAndLast = new HashMap<>();
        private int completed;

        Readers(int port) throws IOException {
            this.port = port;
        }

        private final class Reader {
            final SocketChannel channel;
            byte[] pending = new byte[1024];
            int length;
            boolean started;
            boolean headRead;

            Reader(SocketChannel channel) {
                this.channel = channel;
            }
        }

        void open(int count) throws IOException {
            byte[] request = ("GET /api/companion/events HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            int opened = 0;
            int starting = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (opened < count || starting > 0) {
                while (opened < count && starting < 200) {
                    SocketChannel channel = SocketChannel.open();
                    channel.configureBlocking(false);
                    channel.connect(new InetSocketAddress("127.0.0.1", port));
                    Reader reader = new Reader(channel);
                    channel.register(selector, SelectionKey.OP_CONNECT, reader);
                    all.add(reader);
                    opened++;
                    starting++;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("streams did not open in time");
                }
                selector.select(1000);
                for (SelectionKey key : selector.selectedKeys()) {
                    Reader reader = (Reader) key.attachment();
                    if (key.isConnectable()) {
                        reader.channel.finishConnect();
                        ByteBuffer out = ByteBuffer.wrap(request);
                        while (out.hasRemaining()) {
                            reader.channel.write(out);
                        }
                        key.interestOps(SelectionKey.OP_READ);
                    } else if (key.isReadable()) {
                        read(key, reader, 0);
                        if (reader.started) {
                            starting--;
                            reader.started = false;
                        }
                    }
                }
                selector.selectedKeys().clear();
            }
        }

        void resetTurn() {
            latencies.clear();
            firstAndLast.clear();
            completed = 0;
        }

        List<Long> spreads() {
            List<Long> spreads = new ArrayList<>();
            for (long[] times : firstAndLast.values()) {
                spreads.add(times[1] - times[0]);
            }
            return spreads;
        }

        /** Reads until every stream has had the turn's {@code turn_completed}. */
        void readTurn(Duration timeout) throws IOException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (completed < all.size()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("only " + completed + " of " + all.size()
                            + " streams completed the turn in time");
                }
                selector.select(1000);
                for (SelectionKey key : selector.selectedKeys()) {
                    if (key.isReadable()) {
                        read(key, (Reader) key.attachment(), 1);
                    }
                }
                selector.selectedKeys().clear();
            }
        }

        private void read(SelectionKey key, Reader reader, int measuring) throws IOException {
            buffer.clear();
            int read = reader.channel.read(buffer);
            Instant now = Instant.now();
            if (read < 0) {
                key.cancel();
                reader.channel.close();
                throw new IllegalStateException("the server closed a stream");
            }
            buffer.flip();
            if (reader.length + read > reader.pending.length) {
                reader.pending = Arrays.copyOf(reader.pending, Math.max(reader.pending.length * 2, reader.length + read));
            }
            buffer.get(reader.pending, reader.length, read);
            reader.length += read;
            int start = 0;
            if (!reader.headRead) {
                int end = indexOf(reader, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0);
                if (end < 0) {
                    return;
                }
                reader.headRead = true;
                start = end + 4;
            }
            for (int end = indexOf(reader, FRAME_END, start); end >= 0; end = indexOf(reader, FRAME_END, start)) {
                String frame = new String(reader.pending, start, end - start, StandardCharsets.UTF_8);
                start = end + 2;
                if (frame.startsWith("retry:")) {
                    reader.started = true;
                } else if (measuring > 0 && frame.contains("\nevent: text_delta\n")) {
                    long cursor = Long.parseLong(frame.substring(4, frame.indexOf('\n')));
                    int at = frame.indexOf("\"at\":\"") + 6;
                    Instant published = Instant.parse(frame.substring(at, frame.indexOf('"', at)));
                    long nanos = Duration.between(published, now).toNanos();
                    latencies.add(nanos);
                    long stamp = System.nanoTime();
                    long[] times = firstAndLast.computeIfAbsent(cursor, c -> new long[] {stamp, stamp});
                    times[1] = stamp;
                } else if (measuring > 0 && frame.contains("\nevent: turn_completed\n")) {
                    completed++;
                }
            }
            System.arraycopy(reader.pending, start, reader.pending, 0, reader.length - start);
            reader.length -= start;
        }

        private static int indexOf(Reader reader, byte[] marker, int from) {
            outer:
            for (int i = from; i <= reader.length - marker.length; i++) {
                for (int j = 0; j < marker.length; j++) {
                    if (reader.pending[i + j] != marker[j]) {
                        continue outer;
                    }
                }
                return i;
            }
            return -1;
        }

        @Override
        public void close() throws IOException {
            for (Reader reader : all) {
                reader.channel.close();
            }
            selector.close();
        }
    }
}
