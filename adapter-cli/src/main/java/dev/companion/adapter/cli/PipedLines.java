package dev.companion.adapter.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Plain lines from standard input, for a chat that is not in a terminal (a pipe, a file, a test):
 * no editing, no history; the prompt is printed and the input is not echoed. A thread reads lines
 * into a queue, where a Ctrl-C (heard through {@link Interrupts}) takes its place in order.
 */
final class PipedLines implements LineSource {

    private final BlockingQueue<Input> inputs = new LinkedBlockingQueue<>();
    private final PrintWriter out;
    private final Interrupts interrupts;
    private boolean ended;

    PipedLines(InputStream stdin, PrintWriter out, Interrupts interrupts) {
        this.out = out;
        this.interrupts = interrupts;
        Thread reader = new Thread(() -> read(stdin), "companion-chat-input");
        // Reading standard input cannot be interrupted: the thread may outlive the chat, blocked.
        reader.setDaemon(true);
        reader.start();
    }

    /** Reads lines into the queue, then marks the end of input. */
    private void read(InputStream stdin) {
        BufferedReader in = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8));
        try {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                inputs.add(new Input.Line(line));
            }
        } catch (IOException e) {
            // Nothing more can be read: the same as the end of input.
        }
        inputs.add(new Input.End());
    }

    @Override
    public Input read(String prompt, String continuationPrompt, String prefill) throws InterruptedException {
        StringBuilder message = new StringBuilder();
        out.print(prompt);
        out.flush();
        while (true) {
            Input input = ended ? new Input.End() : inputs.take();
            if (input instanceof Input.Line line) {
                String text = line.text();
                if (!text.endsWith("\\")) {
                    return new Input.Line(message.append(text).toString());
                }
                message.append(text, 0, text.length() - 1).append('\n');
                out.print(continuationPrompt);
                out.flush();
            } else if (input instanceof Input.End) {
                ended = true;
                return message.length() == 0 ? input : new Input.Line(message.toString());
            } else {
                // The terminal drops a half-typed line at Ctrl-C; the lines before it go too.
                out.println();
                return input;
            }
        }
    }

    @Override
    public boolean canPrefill() {
        return false;
    }

    @Override
    public int width() {
        return 0;
    }

    @Override
    public Interrupts.Handle listen(Runnable onInterrupt) {
        return interrupts.listen(onInterrupt);
    }

    @Override
    public void interruptedAtPrompt(boolean again) {
        inputs.add(new Input.Interrupt(again));
    }

    @Override
    public void close() {
        // The reading thread is a daemon, blocked on standard input; nothing else is held.
    }
}
