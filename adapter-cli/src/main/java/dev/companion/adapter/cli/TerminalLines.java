package dev.companion.adapter.cli;

import org.jline.reader.Completer;
import org.jline.reader.EOFError;
import org.jline.reader.EndOfFileException;
import org.jline.reader.History;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.ParsedLine;
import org.jline.reader.Parser;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.DefaultParser;
import org.jline.terminal.Terminal;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.Optional;

/**
 * The prompt in a terminal, edited with JLine: arrows, Ctrl-A / Ctrl-E, Ctrl-R through the history,
 * Tab to complete slash commands, and history kept in a file across chats. Ctrl-C at the prompt drops
 * the line; during a reply (no line being read) it reaches {@link #listen}'s handler through the
 * terminal, which JLine hands back after each line it reads.
 */
final class TerminalLines implements LineSource {

    private final Terminal terminal;
    private final LineReader reader;
    private final Optional<ChatHistory> kept;
    private final CtrlC ctrlC;
    /** The history index from which entries are not yet in the file. */
    private int unsaved;

    // Guarded by this: a Ctrl-C heard between a reply's end and the next prompt.
    private boolean pendingInterrupt;
    private boolean pendingAgain;

    TerminalLines(Terminal terminal, Optional<ChatHistory> kept, Completer completer, CtrlC ctrlC) {
        this.terminal = terminal;
        this.kept = kept;
        this.ctrlC = ctrlC;
        this.reader = LineReaderBuilder.builder()
                .terminal(terminal)
                .appName("companion")
                .parser(new ContinuationParser())
                .completer(completer)
                .variable(LineReader.HISTORY_SIZE, ChatHistory.MAX_ENTRIES)
                // '!' is a word in a chat, not a history expansion.
                .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
                // A line starting with a space stays out of the history, as in the shells.
                .option(LineReader.Option.HISTORY_IGNORE_SPACE, true)
                .option(LineReader.Option.HISTORY_IGNORE_DUPS, true)
                // Tab at the start of a line completes the slash commands instead of inserting a tab.
                .option(LineReader.Option.INSERT_TAB, false)
                .build();
        History history = reader.getHistory();
        kept.ifPresent(file -> file.load().forEach(entry -> history.add(Instant.EPOCH, entry)));
        unsaved = history.last() + 1;
    }

    @Override
    public Input read(String prompt, String continuationPrompt, String prefill) {
        synchronized (this) {
            if (pendingInterrupt) {
                pendingInterrupt = false;
                terminal.writer().println();
                terminal.writer().flush();
                return new Input.Interrupt(pendingAgain);
            }
        }
        reader.setVariable(LineReader.SECONDARY_PROMPT_PATTERN, continuationPrompt);
        String line;
        try {
            line = reader.readLine(prompt, null, (Character) null, prefill);
        } catch (UserInterruptException e) {
            return new Input.Interrupt(ctrlC.press());
        } catch (EndOfFileException e) {
            return new Input.End();
        }
        keep();
        return new Input.Line(ContinuationParser.join(line));
    }

    /** Appends to the file what this line added to the history (nothing for a repeat or a line starting with a space). */
    private void keep() {
        History history = reader.getHistory();
        int from = Math.max(unsaved, history.first());
        for (int index = from; index <= history.last(); index++) {
            String entry = history.get(index);
            kept.ifPresent(file -> file.append(entry));
        }
        unsaved = history.last() + 1;
    }

    @Override
    public boolean canPrefill() {
        return true;
    }

    @Override
    public int width() {
        return Math.max(0, terminal.getWidth());
    }

    @Override
    public Interrupts.Handle listen(Runnable onInterrupt) {
        Terminal.SignalHandler previous = terminal.handle(Terminal.Signal.INT, signal -> onInterrupt.run());
        return () -> terminal.handle(Terminal.Signal.INT, previous);
    }

    @Override
    public synchronized void interruptedAtPrompt(boolean again) {
        pendingInterrupt = true;
        pendingAgain = again;
    }

    @Override
    public void close() {
        try {
            terminal.close();
        } catch (java.io.IOException e) {
            // The terminal is being let go of; its settings are restored as far as they can be.
        }
    }

    /**
     * A line ending with a backslash does not end the message: Enter there starts another line of it
     * (JLine shows the continuation prompt). Nothing else is special: quotes and backslashes elsewhere
     * are the person's words, so an apostrophe never leaves the prompt waiting for its pair.
     */
    static final class ContinuationParser implements Parser {

        private final DefaultParser words = new DefaultParser();

        ContinuationParser() {
            words.setQuoteChars(new char[0]);
            words.setEscapeChars(new char[0]);
            words.setEofOnEscapedNewLine(false);
            words.setEofOnUnclosedQuote(false);
        }

        @Override
        public ParsedLine parse(String line, int cursor, ParseContext context) {
            if (context == ParseContext.ACCEPT_LINE && line.endsWith("\\")) {
                throw new EOFError(-1, -1, "the message goes on", "...");
            }
            return words.parse(line, cursor, context);
        }

        /** The message a continued line stands for: each backslash before a line break goes. */
        static String join(String line) {
            return line.replace("\\\n", "\n");
        }

        /** The line to edit for a message: each of its line breaks continued with a backslash. */
        static String split(String message) {
            return message.replace("\r\n", "\n").replace("\n", "\\\n");
        }
    }
}
