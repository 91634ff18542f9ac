package dev.companion.bench.overhead;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The load driver used when wrk is not installed: {@code connections} kept-alive connections, each
 * sending its next GET as soon as the last answer is read, for {@code seconds}.
 */
final class JavaLoad {

    private JavaLoad() {
    }

    /** Requests per second, latency p50 and p99 in ms. */
    static double[] run(String url, int connections, int threadsIgnored, int seconds) throws Exception {
        URI uri = URI.create(url);
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> threads = new ArrayList<>();
        List<Samples> latencies = new ArrayList<>();
        long[] counts = new long[connections];
        for (int c = 0; c < connections; c++) {
            int index = c;
            Samples samples = new Samples("");
            latencies.add(samples);
            Thread thread = new Thread(() -> {
                try (RawHttp client = new RawHttp(uri.getPort())) {
                    while (running.get()) {
                        long start = System.nanoTime();
                        client.send("GET", uri.getPath(), null, null);
                        client.read((bytes, length) -> { });
                        samples.add(System.nanoTime() - start);
                        counts[index]++;
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            threads.add(thread);
        }
        long start = System.nanoTime();
        threads.forEach(Thread::start);
        Thread.sleep(seconds * 1000L);
        running.set(false);
        for (Thread thread : threads) {
            thread.join();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        long total = 0;
        Samples all = new Samples("");
        for (int c = 0; c < connections; c++) {
            total += counts[c];
        }
        latencies.forEach(all::addAll);
        return new double[] {total / elapsed, all.p50() / 1e6, all.p99() / 1e6};
    }
}
