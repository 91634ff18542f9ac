package dev.companion.adapter.cli;

import dev.companion.core.TranscriptExport;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Shows a model's reasoning as it streams, apart from the reply: faint when the palette has colour,
 * else each line starting {@code thinking: } so it still reads as apart (and a script can drop it),
 * then a line saying how long the model thought, before the reply's first words. Reasoning that
 * arrives after the reply has started is not shown, so the two never mix; it is still in the
 * transcript.
 */
final class ReasoningView {

    static final String PREFIX = "thinking: ";

    private final PrintWriter out;
    private final Palette palette;
    private Instant started;
    private Instant last;
    private boolean atLineStart = true;
    private boolean closed;

    ReasoningView(PrintWriter out, Palette palette) {
        this.out = out;
        this.palette = palette;
    }

    void reasoning(String text, Instant at) {
        if (closed || text.isEmpty()) {
            return;
        }
        if (started == null) {
            started = at;
        }
        last = at;
        if (palette.colourful()) {
            out.print(palette.dim(text));
            atLineStart = text.endsWith("\n");
        } else {
            for (String line : text.split("(?<=\n)")) {
                if (atLineStart) {
                    out.print(PREFIX);
                }
                out.print(line);
                atLineStart = line.endsWith("\n");
            }
        }
        out.flush();
    }

    /**
     * The reply's first words arrive at {@code at}: ends the reasoning shown, if any, with how long
     * the model thought (from its first piece of reasoning to its first word, as the runtime counts it).
     */
    void replyStarts(Instant at) {
        close(Optional.ofNullable(started).map(first -> Duration.between(first, at)));
    }

    /**
     * The turn ended without the reply starting (a reply of reasoning alone): ends the reasoning
     * shown with the time the reply kept, else the time between the first and last piece seen.
     */
    void turnEnded(Optional<Duration> kept) {
        close(kept.or(() -> Optional.ofNullable(started).map(first -> Duration.between(first, last))));
    }

    private void close(Optional<Duration> time) {
        if (closed) {
            return;
        }
        closed = true;
        if (started == null) {
            return;
        }
        if (!atLineStart) {
            out.println();
        }
        out.println(palette.dim(TranscriptExport.thoughtFor(time.orElse(Duration.ZERO))));
        out.flush();
    }
}
