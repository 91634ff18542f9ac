package dev.companion.adapter.cli;

import dev.companion.adapter.cli.CompanionCommandLine.ExitCodes;
import dev.companion.adapter.cli.CompanionCommandLine.Launcher;
import dev.companion.adapter.cli.CompanionCommandLine.Session;
import dev.companion.core.CancelCommand;
import dev.companion.core.CancelResult;
import dev.companion.core.Companion;
import dev.companion.core.SendMessageCommand;
import dev.companion.core.model.CompanionException;
import dev.companion.core.model.CompanionStatus;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.InvalidRequestException;
import dev.companion.core.model.TranscriptQuery;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;

@Command(name = "chat", mixinStandardHelpOptions = true,
        description = {"Talk with the Companion in the terminal; replies stream as they arrive.",
                "End a line with \\ to continue the message on the next line.",
                "Ctrl-C during a reply cancels it; Ctrl-C twice at the prompt, Ctrl-D or /exit leaves.",
                "Commands: /status, /history [n], /cancel, /help, /exit."},
        footerHeading = "%nExamples:%n",
        footer = {"  companion chat",
                "  companion chat --provider offline --ephemeral   # try it without a model or files",
                "  companion chat --url http://127.0.0.1:8765      # the server's Companion"})
final class ChatCommand implements Callable<Integer> {

    /** A Ctrl-C this soon after the one before leaves, whatever is going on. */
    static final Duration AGAIN_WITHIN = Duration.ofSeconds(2);

    static final String HINT = "/help for commands · end a line with \\ to go on · "
            + "Ctrl-C stops a reply · Ctrl-D or /exit leaves";

    private final Launcher launcher;
    private final InputStream stdin;
    private final Interrupts interrupts;

    @Spec
    CommandSpec spec;

    @Mixin
    Options.Connect connect = new Options.Connect();

    ChatCommand(Launcher launcher, InputStream stdin, Interrupts interrupts) {
        this.launcher = launcher;
        this.stdin = stdin;
        this.interrupts = interrupts;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Palette palette = Palette.detect();
        Session session;
        try {
            session = launcher.open(connect.options(spec.commandLine()));
        } catch (CompanionException e) {
            if (e.diagnostic().code() != DiagnosticCode.DATA_DIRECTORY_LOCKED) {
                throw e;
            }
            // The likely cause is a running 'companion serve': say how to chat with that one instead.
            err.println("error: " + e.diagnostic().message() + " (" + e.diagnostic().code().wireName() + ")");
            err.println("hint: a Companion server holds this data directory; chat with it through its address, "
                    + "e.g. 'companion chat --url http://127.0.0.1:" + CompanionCommandLine.ServeOptions.DEFAULT_PORT
                    + "', or choose another with --data-dir or --ephemeral");
            err.flush();
            return ExitCodes.DATA_DIRECTORY_LOCKED;
        }
        try (session) {
            Conversation conversation = new Conversation(session.companion(), out, err, palette);
            conversation.greet();
            BlockingQueue<Input> inputs = conversation.inputs;
            Thread reader = new Thread(() -> read(stdin, inputs), "companion-chat-input");
            // Reading standard input cannot be interrupted: the thread may outlive the chat, blocked.
            reader.setDaemon(true);
            reader.start();
            try (Interrupts.Handle ignored = interrupts.listen(conversation::interrupted)) {
                conversation.run();
            }
            out.flush();
            return ExitCodes.OK;
        }
    }

    /** Reads lines into the conversation's queue, then marks the end of input. */
    private static void read(InputStream stdin, BlockingQueue<Input> inputs) {
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

    /** What the conversation reacts to at the prompt, in the order it happened. */
    sealed interface Input {
        record Line(String text) implements Input {
        }

        /** Ctrl-D, or the end of piped input. */
        record End() implements Input {
        }

        /** Ctrl-C at the prompt; {@code again} when it came right after another. */
        record Interrupt(boolean again) implements Input {
        }
    }

    /**
     * One chat: the prompt loop on the command's thread, and {@link #interrupted} on whichever
     * thread Ctrl-C arrives. They share the turn in flight, under this object's lock.
     */
    static final class Conversation {

        final BlockingQueue<Input> inputs = new LinkedBlockingQueue<>();
        private final Companion companion;
        private final PrintWriter out;
        private final PrintWriter err;
        private final Palette palette;

        // Guarded by this: the turn being followed, its id once accepted, and what Ctrl-C asked for.
        private TurnFollower following;
        private TurnId runningTurn;
        private boolean cancelWhenAccepted;
        private boolean leave;
        private long lastInterrupt;
        private boolean interruptedBefore;

        // The prompt loop's own: input ended (Ctrl-D), and a Ctrl-C at the prompt with nothing since.
        private boolean ended;
        private boolean interruptedAtPrompt;

        Conversation(Companion companion, PrintWriter out, PrintWriter err, Palette palette) {
            this.companion = companion;
            this.out = out;
            this.err = err;
            this.palette = palette;
        }

        void greet() {
            CompanionStatus status = companion.status();
            out.println(palette.bold(status.worker().label()) + " — " + palette.state(status.state())
                    + ", provider " + status.provider().kind() + " (" + status.provider().model() + ")");
            if (!status.provider().live()) {
                status.transport().limitation().ifPresent(out::println);
            }
            out.println(palette.dim(HINT));
            out.flush();
        }

        void run() {
            try {
                while (!leaving()) {
                    String message = readMessage();
                    if (message == null) {
                        break;
                    }
                    String trimmed = message.strip();
                    if (trimmed.isEmpty()) {
                        continue;
                    }
                    if (trimmed.startsWith("/") && !trimmed.contains("\n")) {
                        if (!slash(trimmed)) {
                            break;
                        }
                        continue;
                    }
                    turn(message);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            out.println();
            out.flush();
        }

        /** Ctrl-C: cancel the reply being written, or tell the prompt; twice in a row leaves. */
        void interrupted() {
            try {
                TurnId cancel = null;
                synchronized (this) {
                    long now = System.nanoTime();
                    boolean again = interruptedBefore && now - lastInterrupt < AGAIN_WITHIN.toNanos();
                    interruptedBefore = true;
                    lastInterrupt = now;
                    if (following == null) {
                        inputs.add(new Input.Interrupt(again));
                    } else if (again) {
                        leave = true;
                        following.stopWaiting();
                    } else if (runningTurn == null) {
                        cancelWhenAccepted = true;
                    } else {
                        cancel = runningTurn;
                    }
                }
                if (cancel != null) {
                    cancel(cancel);
                }
            } catch (RuntimeException e) {
                // This runs on the signal's thread: never let a failure escape as a stack trace.
                Failures.report(err, Diagnostic.error(DiagnosticCode.INTERNAL_ERROR,
                        "Ctrl-C could not be handled (" + e.getClass().getSimpleName() + ")"));
            }
        }

        private void accepted(TurnId turn) {
            boolean cancelNow;
            synchronized (this) {
                runningTurn = turn;
                cancelNow = cancelWhenAccepted;
            }
            if (cancelNow) {
                cancel(turn);
            }
        }

        private void cancel(TurnId turn) {
            try {
                // The outcome comes back through the turn's events; an already ended turn needs nothing.
                companion.cancel(CancelCommand.turn(turn));
            } catch (CompanionException e) {
                Failures.report(err, e.diagnostic());
            }
        }

        private synchronized boolean leaving() {
            return leave;
        }

        private void turn(String message) throws InterruptedException {
            SendMessageCommand command;
            try {
                command = new SendMessageCommand(message, "cli");
            } catch (InvalidRequestException e) {
                Failures.report(err, e.diagnostic());
                return;
            }
            TurnFollower follower = new TurnFollower(companion);
            synchronized (this) {
                following = follower;
                runningTurn = null;
                cancelWhenAccepted = false;
            }
            out.print(palette.bold("companion> "));
            out.flush();
            TurnFollower.Result result;
            try {
                result = follower.send(command, this::accepted, delta -> {
                    out.print(delta);
                    out.flush();
                });
            } catch (CompanionException e) {
                out.println();
                out.flush();
                Failures.report(err, e.diagnostic());
                return;
            } finally {
                synchronized (this) {
                    following = null;
                    runningTurn = null;
                }
            }
            out.println();
            if (result instanceof TurnFollower.Result.NotAccepted notAccepted) {
                out.println("[" + palette.state(notAccepted.result().state()) + "]");
                out.flush();
                notAccepted.result().diagnostics().forEach(diagnostic -> Failures.report(err, diagnostic));
            } else if (result instanceof TurnFollower.Result.Ended ended) {
                TurnOutcome outcome = ended.outcome();
                if (!(outcome instanceof TurnOutcome.Completed)) {
                    out.println("[" + palette.state(outcome.state()) + "]");
                    out.flush();
                    outcome.diagnostics().forEach(diagnostic -> Failures.report(err, diagnostic));
                }
            }
            // Abandoned: a second Ctrl-C; the loop sees the leave and ends.
            out.flush();
        }

        /** Runs a slash command; false means leave. */
        private boolean slash(String line) {
            String[] words = line.split("\\s+");
            try {
                switch (words[0]) {
                    case "/exit", "/quit" -> {
                        return false;
                    }
                    case "/status" -> StatusCommand.print(out, palette, companion.status());
                    case "/history" -> {
                        int n = words.length > 1 ? Integer.parseInt(words[1]) : 10;
                        TranscriptCommand.print(out, err, palette, companion.transcript(TranscriptQuery.newest(n)));
                    }
                    case "/cancel" -> {
                        CancelResult result = companion.cancel(CancelCommand.running());
                        out.println("[" + palette.state(result.state()) + "] " + result.diagnostic().message());
                    }
                    case "/help" -> help();
                    default -> err.println("error: unknown command " + words[0] + "; hint: /help lists the commands");
                }
            } catch (NumberFormatException e) {
                err.println("error: /history takes a number of items; hint: /history 20");
            } catch (CompanionException e) {
                Failures.report(err, e.diagnostic());
            }
            out.flush();
            err.flush();
            return true;
        }

        private void help() {
            out.println("/status        the Companion's state, provider and transport");
            out.println("/history [n]   the last n transcript items (default 10)");
            out.println("/cancel        stop the running reply, wherever it was asked for");
            out.println("/help          this list");
            out.println("/exit          leave (Ctrl-D does too)");
            out.println("a line ending with \\ goes on on the next line: the message is sent at the first line without");
            out.println("Ctrl-C         during a reply: cancel it; at the prompt: drop what is typed; twice: leave");
        }

        /**
         * One message: lines ending with a backslash continue it. Null to leave: end of input, or
         * Ctrl-C twice.
         */
        private String readMessage() throws InterruptedException {
            StringBuilder message = new StringBuilder();
            prompt(message);
            while (true) {
                Input input = ended ? new Input.End() : inputs.take();
                if (input instanceof Input.Line line) {
                    interruptedAtPrompt = false;
                    String text = line.text();
                    if (text.endsWith("\\")) {
                        message.append(text, 0, text.length() - 1).append('\n');
                        prompt(message);
                    } else {
                        return message.append(text).toString();
                    }
                } else if (input instanceof Input.End) {
                    ended = true;
                    return message.length() == 0 ? null : message.toString();
                } else if (input instanceof Input.Interrupt interrupt) {
                    if (interrupt.again() || interruptedAtPrompt) {
                        return null;
                    }
                    interruptedAtPrompt = true;
                    // The terminal drops a half-typed line at Ctrl-C; drop the lines before it too.
                    message.setLength(0);
                    out.println();
                    out.println(palette.dim("(Ctrl-C again, Ctrl-D or /exit to leave)"));
                    prompt(message);
                }
            }
        }

        private void prompt(StringBuilder message) {
            out.print(message.length() == 0 ? palette.bold("you> ") : palette.dim("...> "));
            out.flush();
        }
    }
}
