package dev.companion.adapter.llm;

import dev.companion.core.port.TextSink;

/**
 * Passes reply text and reasoning to the sink until the turn is cancelled. Sending and closing
 * share one lock, so once {@link #close()} returned nothing further reaches the sink.
 */
final class Gate {

    private final TextSink sink;
    private boolean closed;
    private volatile boolean sentText;
    private volatile boolean sentReasoning;

    Gate(TextSink sink) {
        this.sink = sink;
    }

    synchronized boolean sendText(String text) {
        if (closed) {
            return false;
        }
        sentText = true;
        sink.accept(text);
        return true;
    }

    synchronized boolean sendReasoning(String text) {
        if (closed) {
            return false;
        }
        sentReasoning = true;
        sink.reasoning(text);
        return true;
    }

    synchronized void close() {
        closed = true;
    }

    /** Whether any reply text reached the sink. */
    boolean sentText() {
        return sentText;
    }

    boolean sentReasoning() {
        return sentReasoning;
    }

    /** Whether anything at all reached the sink: a retry would then repeat it, so there is none. */
    boolean sentAnything() {
        return sentText || sentReasoning;
    }
}
