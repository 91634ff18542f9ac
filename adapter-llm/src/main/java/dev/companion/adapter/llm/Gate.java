package dev.companion.adapter.llm;

import dev.companion.core.port.TextSink;

/**
 * Passes text to the sink until the turn is cancelled. Sending and closing share one lock, so once
 * {@link #close()} returned no further text reaches the sink.
 */
final class Gate {

    private final TextSink sink;
    private boolean closed;
    private volatile boolean sent;

    Gate(TextSink sink) {
        this.sink = sink;
    }

    synchronized boolean send(String text) {
        if (closed) {
            return false;
        }
        sent = true;
        sink.accept(text);
        return true;
    }

    synchronized void close() {
        closed = true;
    }

    boolean sentAny() {
        return sent;
    }
}
