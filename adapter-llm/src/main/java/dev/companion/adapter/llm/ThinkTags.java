package dev.companion.adapter.llm;

import dev.companion.adapter.llm.EventParser.Delta;
import dev.companion.adapter.llm.EventParser.Reasoning;
import dev.companion.adapter.llm.EventParser.Text;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a {@code <think>…</think>} block at the very start of a reply's content from the reply,
 * as it streams: a server without a reasoning parser (llama.cpp with {@code --reasoning-format none},
 * an older Ollama or vLLM) passes a reasoning model's thinking on as content. The tags may be split
 * across deltas at any character; what could still be the start of a tag is held back until it is
 * clear. Only a block that opens the content counts: a tag later in the reply is text.
 */
final class ThinkTags {

    static final String OPEN = "<think>";
    static final String CLOSE = "</think>";

    private enum State { UNDECIDED, THINKING, AFTER_THINKING, TEXT }

    private State state = State.UNDECIDED;
    private final StringBuilder held = new StringBuilder();

    /** The pieces of reasoning and text that {@code content} completes. */
    List<Delta> feed(String content) {
        List<Delta> out = new ArrayList<>(2);
        String rest = content;
        while (!rest.isEmpty()) {
            rest = switch (state) {
                case UNDECIDED -> undecided(rest, out);
                case THINKING -> thinking(rest, out);
                case AFTER_THINKING -> afterThinking(rest);
                case TEXT -> {
                    add(out, new Text(rest));
                    yield "";
                }
            };
        }
        return out;
    }

    /** What was held back when the content ends. */
    List<Delta> flush() {
        List<Delta> out = new ArrayList<>(1);
        if (held.length() > 0) {
            add(out, state == State.THINKING ? new Reasoning(held.toString()) : new Text(held.toString()));
            held.setLength(0);
        }
        return out;
    }

    /** An assistant message of the history without a leading thinking block: reasoning is never sent back. */
    static String withoutLeadingThinking(String content) {
        String start = content.stripLeading();
        if (!start.startsWith(OPEN)) {
            return content;
        }
        int close = start.indexOf(CLOSE);
        return close < 0 ? content : start.substring(close + CLOSE.length()).stripLeading();
    }

    private String undecided(String piece, List<Delta> out) {
        held.append(piece);
        String start = held.toString().stripLeading();
        if (start.startsWith(OPEN)) {
            held.setLength(0);
            state = State.THINKING;
            return start.substring(OPEN.length());
        }
        if (OPEN.startsWith(start)) {
            return ""; // white space or a tag that may still complete
        }
        String text = held.toString();
        held.setLength(0);
        state = State.TEXT;
        add(out, new Text(text));
        return "";
    }

    private String thinking(String piece, List<Delta> out) {
        held.append(piece);
        int close = held.indexOf(CLOSE);
        if (close >= 0) {
            add(out, new Reasoning(held.substring(0, close)));
            String rest = held.substring(close + CLOSE.length());
            held.setLength(0);
            state = State.AFTER_THINKING;
            return rest;
        }
        int keep = partialCloseAtEnd(held);
        add(out, new Reasoning(held.substring(0, held.length() - keep)));
        held.delete(0, held.length() - keep);
        return "";
    }

    /** The blank lines a model writes between its thinking and its answer are not part of the answer. */
    private String afterThinking(String piece) {
        String rest = piece.stripLeading();
        if (!rest.isEmpty()) {
            state = State.TEXT;
        }
        return rest;
    }

    /** How many characters at the end of {@code text} could be the start of {@code </think>}. */
    private static int partialCloseAtEnd(CharSequence text) {
        for (int length = Math.min(CLOSE.length() - 1, text.length()); length > 0; length--) {
            boolean matches = true;
            for (int i = 0; i < length; i++) {
                if (text.charAt(text.length() - length + i) != CLOSE.charAt(i)) {
                    matches = false;
                    break;
                }
            }
            if (matches) {
                return length;
            }
        }
        return 0;
    }

    private static void add(List<Delta> out, Delta delta) {
        if (!delta.text().isEmpty()) {
            out.add(delta);
        }
    }
}
