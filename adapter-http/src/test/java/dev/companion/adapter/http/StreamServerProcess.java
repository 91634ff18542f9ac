package dev.companion.adapter.http;

import dev.companion.core.port.HeldLanguageModel;
import dev.companion.prompts.ClasspathPromptCatalog;
import dev.companion.runtime.CompanionRuntime;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A real server with a real runtime in a process of its own, for tests that need more sockets than
 * one process may open (10,000 streams are 20,000 sockets on loopback). It prints
 * {@code port N} once it listens, then takes commands on standard input, one a line:
 * {@code script COUNT SIZE} queues a reply of COUNT pieces, each {@code pNNNNN} followed by SIZE
 * times {@code x}. It stops when its input ends.
 *
 * <p>Arguments: the queue capacity of each stream. The limit of open streams is the server's
 * default, so a test against it tests the default.
 */
public final class StreamServerProcess {

    private StreamServerProcess() {
    }

    public static void main(String[] args) throws Exception {
        int queueCapacity = Integer.parseInt(args[0]);
        HeldLanguageModel model = new HeldLanguageModel();
        try (CompanionRuntime runtime = CompanionRuntime.builder().prompts(new ClasspathPromptCatalog())
                .model(model).turnTimeout(Duration.ofMinutes(2)).build();
             CompanionHttpServer server = CompanionHttpServer.builder().conversations(runtime.conversations())
                     .workers(runtime).eventQueueCapacity(queueCapacity).build()) {
            System.out.println("port " + server.start());
            System.out.flush();
            BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = commands.readLine(); line != null; line = commands.readLine()) {
                String[] words = line.trim().split(" ");
                if (words[0].equals("script")) {
                    model.script(pieces(Integer.parseInt(words[1]), Integer.parseInt(words[2])));
                }
            }
        }
    }

    /** The pieces {@code script COUNT SIZE} streams, for the test to compare with. */
    static String[] pieces(int count, int size) {
        String[] pieces = new String[count];
        for (int i = 0; i < count; i++) {
            pieces[i] = String.format("p%05d", i) + "x".repeat(size);
        }
        return pieces;
    }
}
