package dev.companion.adapter.cli;

import org.jline.utils.WCWidth;

import java.io.PrintWriter;

/**
 * Writes streamed text wrapped at a width, breaking lines between words. A word is held back until
 * the space after it arrives (or the text ends), since only then is it known whether it still fits;
 * a word longer than a whole line is cut where the line ends. Spaces at a break are dropped, and the
 * text's own line breaks are kept. Widths count terminal columns (a CJK character takes two).
 * With no width (zero or less), text passes through unchanged and at once.
 */
final class WordWrap {

    private final PrintWriter out;
    private final int width;
    private int column;
    private final StringBuilder spaces = new StringBuilder();
    private final StringBuilder word = new StringBuilder();
    private int wordColumns;

    /** {@code column}: where the cursor already is on the first line (after a prompt, say). */
    WordWrap(PrintWriter out, int width, int column) {
        this.out = out;
        this.width = width;
        this.column = width > 0 ? Math.min(column, width) : column;
    }

    void accept(String text) {
        if (width <= 0) {
            out.print(text);
            return;
        }
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            i += Character.charCount(c);
            if (c == '\n') {
                flushWord();
                spaces.setLength(0);
                out.print('\n');
                column = 0;
            } else if (c == ' ' || c == '\t') {
                flushWord();
                spaces.append(c == '\t' ? "    " : " ");
            } else if (c != '\r') {
                int columns = Math.max(0, WCWidth.wcwidth(c));
                if (wordColumns + columns > width) {
                    // Longer than a whole line: no break between words can help, so cut it here.
                    flushWord();
                }
                word.appendCodePoint(c);
                wordColumns += columns;
            }
        }
    }

    /** The end of the text: writes the word held back. */
    void finish() {
        if (width > 0) {
            flushWord();
            spaces.setLength(0);
        }
    }

    private void flushWord() {
        if (word.length() == 0) {
            return;
        }
        if (column > 0 && column + spaces.length() + wordColumns > width) {
            out.print('\n');
            column = 0;
        } else {
            out.print(spaces);
            column += spaces.length();
        }
        spaces.setLength(0);
        out.print(word);
        column += wordColumns;
        word.setLength(0);
        wordColumns = 0;
    }
}
