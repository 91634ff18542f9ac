package dev.companion.bench.overhead;

import java.io.File;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the Companion adds, measured against its floor in the same run, the two alternated: the first
 * piece of a reply and a whole reply against the same request sent straight to a loopback fake
 * provider, after the short warm-up and again after a long one (the JIT of a fresh JVM is
 * busy for the first several hundred turns, and on two CPUs that is most of what a young server
 * adds); status throughput against a bare Undertow answering a fixed JSON of the same size; start
 * to the first 200 and idle RSS against the bare Undertow jar. See BENCHMARKS.md for how to run it
 * and what it found.
 */
public final class OverheadBench {

    private static final Pattern REQUESTS_PER_SECOND = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern LATENCY_LINE = Pattern.compile("^\\s+(50|99)%\\s+([0-9.]+)(us|ms|s)\\s*$", Pattern.MULTILINE);

    /** The fake provider's Undertow announces itself at INFO; held here so the levels stay set. */
    private static final List<java.util.logging.Logger> QUIETED = List.of(
            java.util.logging.Logger.getLogger("io.undertow"), java.util.logging.Logger.getLogger("org.xnio"));

    private final Path root;
    /**
     * Where this bench's jar is (bench/target): the bare Undertow jar beside it is the floor, and
     * the logs and the report go there, so that {@code --root} may name a checkout of any commit.
     */
    private final Path output = benchTarget();
    private final int warmTurns;
    /** Further warm-up turns, on the same server, before (a) and (b) are measured a second time; 0: not. */
    private final int settleTurns;
    private final int turns;
    private final int starts;
    private final int wrkSeconds;
    private final int wrkRounds;
    private final List<String> report = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();

    private OverheadBench(Path root, int warmTurns, int settleTurns, int turns, int starts, int wrkSeconds,
                          int wrkRounds) {
        this.root = root;
        this.warmTurns = warmTurns;
        this.settleTurns = settleTurns;
        this.turns = turns;
        this.starts = starts;
        this.wrkSeconds = wrkSeconds;
        this.wrkRounds = wrkRounds;
    }

    public static void main(String[] args) throws Exception {
        QUIETED.forEach(logger -> logger.setLevel(java.util.logging.Level.WARNING));
        Path root = Path.of(".");
        int warm = 30;
        int settle = 1000;
        int turns = 100;
        int starts = 10;
        int wrkSeconds = 5;
        int wrkRounds = 3;
        List<String> only = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--root" -> root = Path.of(args[++i]);
                case "--warm" -> warm = Integer.parseInt(args[++i]);
                case "--settle" -> settle = Math.max(0, Integer.parseInt(args[++i]));
                case "--turns" -> turns = Integer.parseInt(args[++i]);
                case "--starts" -> starts = Integer.parseInt(args[++i]);
                case "--wrk-seconds" -> wrkSeconds = Integer.parseInt(args[++i]);
                case "--wrk-rounds" -> wrkRounds = Integer.parseInt(args[++i]);
                case "--only" -> only.add(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (--root DIR --warm N --settle N --turns N --starts N --wrk-seconds N --wrk-rounds N --only turns|status|start)");
            }
        }
        OverheadBench bench = new OverheadBench(root.toAbsolutePath().normalize(), warm, settle, turns, starts, wrkSeconds, wrkRounds);
        Runtime.getRuntime().addShutdownHook(new Thread(bench::stopAll));
        bench.run(only.isEmpty() ? List.of("turns", "status", "start") : only);
    }

    private void run(List<String> parts) throws Exception {
        line("Companion overhead bench, " + Instant.now() + ", " + Runtime.getRuntime().availableProcessors()
                + " processors, JDK " + System.getProperty("java.vm.version"));
        line("warm-up " + warmTurns + " turns, " + turns + " measured turns"
                + (settleTurns > 0 ? " (then " + settleTurns + " more warm-up turns and " + turns + " measured again)" : "")
                + ", " + starts + " starts, wrk "
                + wrkRounds + " x " + wrkSeconds + " s each side");
        try (FakeProvider provider = new FakeProvider()) {
            if (parts.contains("turns") || parts.contains("status")) {
                int port = freePort();
                Process companion = startCompanion(port, provider, "companion-bench.log");
                awaitFirst200(port, "/api/companion/status", companion, 120_000);
                try {
                    if (parts.contains("turns")) {
                        measureTurns(companion, port, provider, warmTurns, "");
                        if (settleTurns > 0) {
                            // The same server and floor again once the JIT has had time to settle: the first
                            // figures are the protocol, these are what a server that has run a while adds.
                            measureTurns(companion, port, provider, settleTurns, ", " + settleTurns + " more warm-up turns later");
                        }
                    }
                    if (parts.contains("status")) {
                        status(port);
                    }
                } finally {
                    stop(companion);
                }
            }
            if (parts.contains("start")) {
                starts(provider);
            }
        }
        line("");
        report.forEach(System.out::println);
        Path out = output.resolve("overhead-results.txt");
        Files.createDirectories(out.getParent());
        Files.write(out, report, StandardCharsets.UTF_8);
        System.out.println("(also written to " + out + ")");
    }

    // ---- (a) first token and (b) whole reply -------------------------------------------------------

    /** (a) and (b) after {@code warm} warm-up turns, with the Companion's CPU time per turn. */
    private void measureTurns(Process companion, int port, FakeProvider provider, int warm, String when)
            throws Exception {
        long cpuBefore = cpuMillis(companion.pid());
        turns(port, provider, warm, when);
        double perTurn = (cpuMillis(companion.pid()) - cpuBefore) / (2.0 * (warm + turns));
        line(String.format(Locale.ROOT, "    the Companion's CPU time per turn (user + system, both kinds, warm-up included%s): %.2f ms",
                when, perTurn));
    }

    private void turns(int port, FakeProvider provider, int warm, String when) throws Exception {
        EventWatcher events = new EventWatcher(port);
        try (RawHttp companion = new RawHttp(port); RawHttp direct = new RawHttp(provider.port())) {
            byte[] message = "{\"content\":\"Say twenty pieces, please.\"}".getBytes(StandardCharsets.UTF_8);
            progress("warming up: " + warm + " turns each way");
            for (int i = 0; i < warm; i++) {
                companionFirstToken(companion, events, message);
                floorFirstToken(direct, provider.lastRequest());
                companionWhole(companion, message);
                floorWhole(direct, provider.lastRequest());
            }
            Samples firstFloor = new Samples("first token, straight to the provider");
            Samples firstCompanion = new Samples("first token, POST -> text_delta on an open event stream");
            Samples firstPaired = new Samples("first token, paired difference");
            Samples wholeFloor = new Samples("whole reply, straight to the provider");
            Samples wholeCompanion = new Samples("whole reply, POST ?wait=true");
            Samples wholePaired = new Samples("whole reply, paired difference");
            progress("measuring: " + turns + " turns each way, alternated");
            for (int i = 0; i < turns; i++) {
                long floor;
                long measured;
                if (i % 2 == 0) {
                    floor = floorFirstToken(direct, provider.lastRequest());
                    measured = companionFirstToken(companion, events, message);
                } else {
                    measured = companionFirstToken(companion, events, message);
                    floor = floorFirstToken(direct, provider.lastRequest());
                }
                firstFloor.add(floor);
                firstCompanion.add(measured);
                firstPaired.add(measured - floor);
                if (i % 2 == 0) {
                    floor = floorWhole(direct, provider.lastRequest());
                    measured = companionWhole(companion, message);
                } else {
                    measured = companionWhole(companion, message);
                    floor = floorWhole(direct, provider.lastRequest());
                }
                wholeFloor.add(floor);
                wholeCompanion.add(measured);
                wholePaired.add(measured - floor);
            }
            line("");
            line("(a) time to the first piece of a reply (ms" + when + ")");
            latency(firstFloor, firstCompanion, firstPaired, "+1 ms p50, +5 ms p99", 1.0, 5.0);
            line("(b) a whole reply (ms" + when + ")");
            latency(wholeFloor, wholeCompanion, wholePaired, "+2 ms p50", 2.0, Double.NaN);
        } finally {
            events.close();
        }
    }

    private void latency(Samples floor, Samples measured, Samples paired, String goal, double goalP50, double goalP99) {
        double p50 = (measured.p50() - floor.p50()) / 1e6;
        double p99 = (measured.p99() - floor.p99()) / 1e6;
        line(String.format(Locale.ROOT, "    floor     p50 %7.3f  p99 %7.3f   %s", floor.p50() / 1e6, floor.p99() / 1e6, floor.name()));
        line(String.format(Locale.ROOT, "    companion p50 %7.3f  p99 %7.3f   %s", measured.p50() / 1e6, measured.p99() / 1e6, measured.name()));
        line(String.format(Locale.ROOT, "    added     p50 %+7.3f  p99 %+7.3f   (companion's percentile minus the floor's; paired per turn: p50 %+.3f, p99 %+.3f)",
                p50, p99, paired.p50() / 1e6, paired.p99() / 1e6));
        boolean met = p50 <= goalP50 && (Double.isNaN(goalP99) || p99 <= goalP99);
        line("    goal ≤ " + goal + ": " + (met ? "met" : "NOT met"));
    }

    private static long floorFirstToken(RawHttp direct, byte[] request) throws IOException {
        AtomicLong first = new AtomicLong();
        long start = System.nanoTime();
        direct.send("POST", "/v1/chat/completions", "application/json", request, "Accept: text/event-stream");
        int status = direct.read((bytes, length) -> {
            if (first.get() == 0 && contains(bytes, length, CONTENT)) {
                first.set(System.nanoTime());
            }
        });
        check(status == 200, "the provider answered " + status);
        return first.get() - start;
    }

    private static long floorWhole(RawHttp direct, byte[] request) throws IOException {
        long start = System.nanoTime();
        direct.send("POST", "/v1/chat/completions", "application/json", request, "Accept: text/event-stream");
        int status = direct.read((bytes, length) -> { });
        long end = System.nanoTime();
        check(status == 200, "the provider answered " + status);
        return end - start;
    }

    private static long companionFirstToken(RawHttp companion, EventWatcher events, byte[] message) throws Exception {
        long start = System.nanoTime();
        companion.send("POST", "/api/companion/messages", "application/json", message);
        RawHttp.Response accepted = companion.readWhole();
        check(accepted.status() == 202, "POST /api/companion/messages answered " + accepted.status() + ": " + accepted.text());
        Matcher id = EventWatcher.TURN_ID.matcher(accepted.text());
        check(id.find(), "no turn_id in " + accepted.text());
        EventWatcher.Turn turn = events.turn(id.group(1));
        long first = turn.firstDelta();
        turn.awaitEnd();
        return first - start;
    }

    private static long companionWhole(RawHttp companion, byte[] message) throws IOException {
        long start = System.nanoTime();
        companion.send("POST", "/api/companion/messages?wait=true", "application/json", message);
        RawHttp.Response answer = companion.readWhole();
        long end = System.nanoTime();
        check(answer.status() == 200 && answer.text().contains("\"outcome\":\"completed\""),
                "POST /api/companion/messages?wait=true answered " + answer.status() + ": " + answer.text());
        return end - start;
    }

    private static final byte[] CONTENT = "\"content\"".getBytes(StandardCharsets.US_ASCII);

    private static boolean contains(byte[] bytes, int length, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (bytes[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /**
     * One open event stream of the Companion, read on its own thread, noting when each turn's first
     * piece and its end arrive (by turn id, so a late frame of an earlier turn is never mistaken).
     */
    private static final class EventWatcher implements AutoCloseable {

        private static final Pattern TURN_ID = Pattern.compile("\"turn_id\":\"([^\"]+)\"");

        private final RawHttp stream;
        private final Thread reader;
        private final Map<String, Turn> turns = new ConcurrentHashMap<>();
        private volatile Throwable failure;

        EventWatcher(int port) throws IOException {
            stream = new RawHttp(port);
            stream.send("GET", "/api/companion/events", null, null, "Accept: text/event-stream");
            CountDownLatch open = new CountDownLatch(1);
            reader = new Thread(() -> {
                StringBuilder carry = new StringBuilder();
                try {
                    stream.read((bytes, length) -> {
                        long now = System.nanoTime();
                        open.countDown();
                        carry.append(new String(bytes, 0, length, StandardCharsets.ISO_8859_1));
                        int frameEnd;
                        while ((frameEnd = carry.indexOf("\n\n")) >= 0) {
                            String frame = carry.substring(0, frameEnd);
                            carry.delete(0, frameEnd + 2);
                            boolean delta = frame.contains("event: text_delta");
                            boolean ended = !delta && frame.contains("event: turn_") && !frame.contains("event: turn_started");
                            if (delta || ended) {
                                Matcher id = TURN_ID.matcher(frame);
                                if (id.find()) {
                                    Turn turn = turn(id.group(1));
                                    if (delta) {
                                        turn.delta(now);
                                    } else {
                                        turn.ended();
                                    }
                                }
                            }
                        }
                    });
                } catch (IOException | RuntimeException e) {
                    failure = e;
                }
            }, "bench-event-stream");
            reader.setDaemon(true);
            reader.start();
            try {
                // The stream's first bytes (retry:) say it is open; a turn posted before could be missed.
                if (!open.await(10, TimeUnit.SECONDS)) {
                    throw new IOException("the event stream did not open");
                }
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
        }

        Turn turn(String id) {
            return turns.computeIfAbsent(id, key -> new Turn(this));
        }

        @Override
        public void close() throws IOException {
            stream.close();
        }

        static final class Turn {
            private final EventWatcher watcher;
            private final CountDownLatch delta = new CountDownLatch(1);
            private final CountDownLatch end = new CountDownLatch(1);
            private volatile long firstDelta;

            Turn(EventWatcher watcher) {
                this.watcher = watcher;
            }

            void delta(long at) {
                if (firstDelta == 0) {
                    firstDelta = at;
                    delta.countDown();
                }
            }

            void ended() {
                end.countDown();
            }

            long firstDelta() throws Exception {
                await(delta, "a text_delta");
                return firstDelta;
            }

            void awaitEnd() throws Exception {
                await(end, "the turn's end");
            }

            private void await(CountDownLatch latch, String what) throws Exception {
                if (!latch.await(30, TimeUnit.SECONDS)) {
                    throw new IOException("no " + what + " on the event stream within 30 s"
                            + (watcher.failure != null ? ": " + watcher.failure : ""));
                }
            }
        }
    }

    // ---- (c) status throughput ----------------------------------------------------------------------

    private void status(int port) throws Exception {
        int size;
        try (RawHttp client = new RawHttp(port)) {
            client.send("GET", "/api/companion/status", null, null);
            RawHttp.Response status = client.readWhole();
            check(status.status() == 200, "status answered " + status.status());
            size = status.body().length;
        }
        int barePort = freePort();
        Process bare = startBare(barePort, size);
        try {
            awaitFirst200(barePort, "/", bare, 30_000);
            String wrk = wrk();
            progress("status throughput with " + (wrk != null ? wrk : "the Java load driver (wrk not found)")
                    + ": " + wrkRounds + " rounds of " + wrkSeconds + " s each side, alternated; " + size + "-byte body");
            Samples floorRate = new Samples("bare Undertow, fixed JSON");
            Samples companionRate = new Samples("GET /api/companion/status");
            Samples floorP50 = new Samples("");
            Samples floorP99 = new Samples("");
            Samples companionP50 = new Samples("");
            Samples companionP99 = new Samples("");
            String barePath = "http://127.0.0.1:" + barePort + "/";
            String statusPath = "http://127.0.0.1:" + port + "/api/companion/status";
            // One short untimed round each, so both have their code compiled before the counting.
            load(wrk, barePath, Math.min(2, wrkSeconds));
            load(wrk, statusPath, Math.min(2, wrkSeconds));
            for (int round = 0; round < wrkRounds; round++) {
                double[] floor;
                double[] measured;
                if (round % 2 == 0) {
                    floor = load(wrk, barePath, wrkSeconds);
                    measured = load(wrk, statusPath, wrkSeconds);
                } else {
                    measured = load(wrk, statusPath, wrkSeconds);
                    floor = load(wrk, barePath, wrkSeconds);
                }
                floorRate.add(floor[0]);
                floorP50.add(floor[1]);
                floorP99.add(floor[2]);
                companionRate.add(measured[0]);
                companionP50.add(measured[1]);
                companionP99.add(measured[2]);
            }
            double ratio = companionRate.p50() / floorRate.p50();
            line("");
            line("(c) GET /api/companion/status throughput, " + (wrk != null ? "wrk -t2 -c32" : "Java driver, 32 connections")
                    + ", " + size + "-byte body (requests/s, median of " + wrkRounds + " rounds; latency ms)");
            line(String.format(Locale.ROOT, "    floor     %9.0f req/s (rounds %.0f..%.0f)  latency p50 %.3f p99 %.3f   %s",
                    floorRate.p50(), floorRate.min(), floorRate.max(), floorP50.p50(), floorP99.p50(), floorRate.name()));
            line(String.format(Locale.ROOT, "    companion %9.0f req/s (rounds %.0f..%.0f)  latency p50 %.3f p99 %.3f   %s",
                    companionRate.p50(), companionRate.min(), companionRate.max(), companionP50.p50(), companionP99.p50(), companionRate.name()));
            line(String.format(Locale.ROOT, "    ratio     %.2fx (rounds %.2fx..%.2fx)", ratio,
                    companionRate.min() / floorRate.max(), companionRate.max() / floorRate.min()));
            line("    goal ≥ 0.8x: " + (ratio >= 0.8 ? "met" : "NOT met"));
        } finally {
            stop(bare);
        }
    }

    /** Requests per second, latency p50 and p99 in ms. */
    private double[] load(String wrk, String url, int seconds) throws Exception {
        if (wrk == null) {
            return JavaLoad.run(url, 32, 2, seconds);
        }
        Process process = new ProcessBuilder(wrk, "-t2", "-c32", "-d" + seconds + "s", "--latency", url)
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor();
        Matcher rate = REQUESTS_PER_SECOND.matcher(output);
        check(rate.find(), "wrk printed no rate:\n" + output);
        check(!output.contains("Non-2xx"), "wrk saw answers other than 2xx:\n" + output);
        double p50 = Double.NaN;
        double p99 = Double.NaN;
        Matcher latency = LATENCY_LINE.matcher(output);
        while (latency.find()) {
            double value = Double.parseDouble(latency.group(2));
            double ms = switch (latency.group(3)) {
                case "us" -> value / 1000;
                case "s" -> value * 1000;
                default -> value;
            };
            if (latency.group(1).equals("50")) {
                p50 = ms;
            } else {
                p99 = ms;
            }
        }
        return new double[] {Double.parseDouble(rate.group(1)), p50, p99};
    }

    private static String wrk() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            File candidate = new File(dir, "wrk");
            if (candidate.canExecute()) {
                return candidate.getPath();
            }
        }
        return null;
    }

    // ---- (d) start to the first 200 and (e) idle RSS -------------------------------------------------

    private void starts(FakeProvider provider) throws Exception {
        progress("starts: one untimed start each (the launcher's first run may write its class-data archive), then "
                + starts + " each, alternated");
        Samples bareStart = new Samples("bare Undertow jar");
        Samples companionStart = new Samples("./companion serve --ephemeral");
        Samples bareRss = new Samples("bare Undertow jar");
        Samples companionRss = new Samples("./companion serve --ephemeral");
        Samples bareCpu = new Samples("bare Undertow jar");
        Samples companionCpu = new Samples("./companion serve --ephemeral");
        long firstRun = startOnce(true, provider, null, null, null);
        startOnce(false, provider, null, null, null);
        for (int i = 0; i < starts; i++) {
            if (i % 2 == 0) {
                startOnce(false, provider, bareStart, bareCpu, bareRss);
                startOnce(true, provider, companionStart, companionCpu, companionRss);
            } else {
                startOnce(true, provider, companionStart, companionCpu, companionRss);
                startOnce(false, provider, bareStart, bareCpu, bareRss);
            }
        }
        double ratio = companionStart.p50() / bareStart.p50();
        line("");
        line("(d) start to the first 200 (ms, " + starts + " starts each)");
        line(String.format(Locale.ROOT, "    floor     p50 %7.1f  max %7.1f   %s", bareStart.p50() / 1e6, bareStart.max() / 1e6, bareStart.name()));
        line(String.format(Locale.ROOT, "    companion p50 %7.1f  max %7.1f   %s (untimed first start: %.1f)",
                companionStart.p50() / 1e6, companionStart.max() / 1e6, companionStart.name(), firstRun / 1e6));
        line(String.format(Locale.ROOT, "    ratio     %.2fx (p50s; fastest %.2fx, slowest %.2fx)", ratio,
                companionStart.min() / bareStart.min(), companionStart.max() / bareStart.max()));
        line("    goal ≤ 1.5x: " + (ratio <= 1.5 ? "met" : "NOT met"));
        line(String.format(Locale.ROOT, "    CPU time of the JVM up to the first 200 (user + system, ms; less disturbed by other load):"
                + " floor p50 %.0f, companion p50 %.0f, ratio %.2fx", bareCpu.p50(), companionCpu.p50(), companionCpu.p50() / bareCpu.p50()));
        line("");
        line("(e) idle RSS one second after the first 200 (MiB, " + starts + " starts each)");
        line(String.format(Locale.ROOT, "    floor     p50 %7.1f  max %7.1f   %s", bareRss.p50() / 1024, bareRss.max() / 1024, bareRss.name()));
        line(String.format(Locale.ROOT, "    companion p50 %7.1f  max %7.1f   %s", companionRss.p50() / 1024, companionRss.max() / 1024, companionRss.name()));
        line(String.format(Locale.ROOT, "    ratio     %.2fx", companionRss.p50() / bareRss.p50()));
    }

    private long startOnce(boolean companion, FakeProvider provider, Samples time, Samples cpu, Samples rss) throws Exception {
        int port = freePort();
        long start = System.nanoTime();
        Process process = companion
                ? startCompanion(port, provider, "companion-start.log")
                : startBare(port, 1024);
        try {
            awaitFirst200(port, companion ? "/api/companion/status" : "/", process, 120_000);
            long elapsed = System.nanoTime() - start;
            if (time != null) {
                time.add(elapsed);
                cpu.add(cpuMillis(process.pid()));
                Thread.sleep(1000);
                rss.add(rssKib(process.pid()));
            }
            return elapsed;
        } finally {
            stop(process);
        }
    }

    /** User plus system CPU time of a process so far, from /proc (in clock ticks of 10 ms). */
    private static long cpuMillis(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // Fields 14 and 15 of stat(5); after the command name's closing parenthesis they are 12th and 13th.
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10;
    }

    private static long rssKib(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS for " + pid);
    }

    // ---- processes --------------------------------------------------------------------------------

    /** The real launcher, configured for an OpenAI-compatible server the way a person would. */
    private Process startCompanion(int port, FakeProvider provider, String log) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(root.resolve("companion").toString(), "serve", "--ephemeral",
                "--port", Integer.toString(port), "--provider", "openai", "--base-url", provider.baseUrl(),
                "--model", "bench-model")
                .directory(root.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output.resolve(log).toFile()));
        builder.environment().remove("OPENAI_API_KEY");
        builder.environment().remove("ANTHROPIC_API_KEY");
        return track(builder.start());
    }

    private Process startBare(int port, int bodySize) throws IOException {
        return track(new ProcessBuilder("java", "-jar", output.resolve("bare-undertow.jar").toString(),
                Integer.toString(port), Integer.toString(bodySize))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output.resolve("bare-undertow.log").toFile()))
                .start());
    }

    private synchronized Process track(Process process) {
        processes.add(process);
        return process;
    }

    private synchronized void stopAll() {
        processes.forEach(OverheadBench::kill);
    }

    private void stop(Process process) throws InterruptedException {
        kill(process);
        process.waitFor(30, TimeUnit.SECONDS);
        synchronized (this) {
            processes.remove(process);
        }
    }

    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
    }

    /** Polls every millisecond, a new connection each time, until the path answers 200. */
    private static void awaitFirst200(int port, String path, Process process, long timeoutMillis) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("the process ended with " + process.exitValue() + " before answering (see the logs beside the bench's jar)");
            }
            try (RawHttp client = new RawHttp(port)) {
                client.setReadTimeout(5000);
                client.send("GET", path, null, null);
                if (client.readWhole().status() == 200) {
                    return;
                }
            } catch (ConnectException notYet) {
                // not listening yet
            } catch (IOException closed) {
                // listening but not answering yet
            }
            Thread.sleep(1);
        }
        throw new IOException("no 200 from " + path + " within " + timeoutMillis + " ms");
    }

    private static Path benchTarget() {
        try {
            return Path.of(OverheadBench.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void check(boolean condition, String message) throws IOException {
        if (!condition) {
            throw new IOException(message);
        }
    }

    private void line(String text) {
        report.add(text);
    }

    private static void progress(String text) {
        System.err.println("bench: " + text);
    }
}
