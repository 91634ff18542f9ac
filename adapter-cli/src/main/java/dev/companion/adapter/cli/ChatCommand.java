package dev.companion.adapter.cli;

import dev.companion.adapter.cli.CompanionCommandLine.ConnectOptions;
import dev.companion.adapter.cli.CompanionCommandLine.ExitCodes;
import dev.companion.adapter.cli.CompanionCommandLine.Launcher;
import dev.companion.adapter.cli.CompanionCommandLine.Session;
import dev.companion.core.CancelCommand;
import dev.companion.core.CancelResult;
import dev.companion.core.Companion;
import dev.companion.core.ConversationQuery;
import dev.companion.core.Conversations;
import dev.companion.core.CreateConversationCommand;
import dev.companion.core.EditMessageCommand;
import dev.companion.core.RenameConversationCommand;
import dev.companion.core.SendMessageCommand;
import dev.companion.core.SendResult;
import dev.companion.core.model.CompanionException;
import dev.companion.core.model.CompanionStatus;
import dev.companion.core.model.Conversation;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.InvalidRequestException;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TranscriptQuery;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.terminal.Terminal;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

@Command(name = "chat", mixinStandardHelpOptions = true,
        description = {"Talk with the Companion in the terminal; replies stream as they arrive.",
                "In a terminal the prompt has line editing (arrows, Ctrl-A/E), history (Up, Ctrl-R) kept across chats,",
                "and Tab completes the commands. End a line with \\ to continue the message on the next line.",
                "Ctrl-C during a reply cancels it; Ctrl-C twice at the prompt, Ctrl-D or /exit leaves.",
                "Commands: /new, /list, /switch, /rename, /regenerate, /edit, /status, /history [n], /cancel, /help, /exit."},
        footerHeading = "%nExamples:%n",
        footer = {"  companion chat",
                "  companion chat --provider offline --ephemeral   # try it without a model or files",
                "  companion chat --conversation c-0f6e…           # go on with another conversation",
                "  companion chat --show-reasoning                 # the model's thinking, faint, before each reply",
                "  companion chat --url http://127.0.0.1:8765      # the server's Companion"})
final class ChatCommand implements Callable<Integer> {

    static final String HINT = "/help for commands · end a line with \\ to go on · "
            + "Ctrl-C stops a reply · Ctrl-D or /exit leaves";

    /** The slash commands, as /help lists them and Tab completes them. */
    static final List<String> SLASH_COMMANDS = List.of("/new", "/list", "/switch", "/rename", "/regenerate",
            "/edit", "/status", "/history", "/cancel", "/help", "/exit");

    /** How many conversations /list shows (and /switch N reaches). */
    static final int LISTED = 20;

    private final Launcher launcher;
    private final InputStream stdin;
    private final Interrupts interrupts;
    private final Terminals terminals;

    @Spec
    CommandSpec spec;

    @Mixin
    Options.Connect connect = new Options.Connect();

    @Mixin
    Options.ConversationChoice conversation = new Options.ConversationChoice();

    @Mixin
    Options.Reasoning reasoning = new Options.Reasoning();

    ChatCommand(Launcher launcher, InputStream stdin, Interrupts interrupts, Terminals terminals) {
        this.launcher = launcher;
        this.stdin = stdin;
        this.interrupts = interrupts;
        this.terminals = terminals;
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Palette palette = Palette.detect();
        Optional<ConversationId> requested = conversation.requested();
        ConnectOptions options = connect.options(spec.commandLine());
        try (Session session = launcher.open(options)) {
            Companion companion = Options.ConversationChoice.open(session, requested);
            // --ephemeral leaves nothing behind, whatever the composition root offers.
            Optional<ChatHistory> history = options.storage().ephemeral() ? Optional.empty()
                    : session.chatHistoryFile().map(file -> new ChatHistory(file, err));
            LineSource.CtrlC ctrlC = new LineSource.CtrlC();
            Chat chat = new Chat(session.conversations(), companion, out, err, palette, ctrlC, reasoning.show);
            Optional<Terminal> terminal = terminals.open();
            try (LineSource lines = terminal.<LineSource>map(t -> new TerminalLines(t, history, chat.completer(), ctrlC))
                    .orElseGet(() -> new PipedLines(stdin, out, interrupts))) {
                chat.lines = lines;
                chat.greet();
                try (Interrupts.Handle ignored = lines.listen(chat::interrupted)) {
                    chat.run();
                }
            }
            out.flush();
            return ExitCodes.OK;
        }
    }

    /**
     * One chat: the prompt loop on the command's thread, and {@link #interrupted} on whichever
     * thread Ctrl-C arrives. They share the turn in flight, under this object's lock.
     */
    static final class Chat {

        private final Conversations conversations;
        private final PrintWriter out;
        private final PrintWriter err;
        private final Palette palette;
        private final LineSource.CtrlC ctrlC;
        private final boolean showReasoning;
        /** Set once before {@link #greet}: the terminal's lines need this chat's completer, so they come second. */
        LineSource lines;

        // Guarded by this: the conversation, the turn being followed, its id once accepted, what Ctrl-C asked for.
        private Companion companion;
        private TurnFollower following;
        private TurnId runningTurn;
        private boolean cancelWhenAccepted;
        private boolean leave;

        // The prompt loop's own: a Ctrl-C at the prompt with nothing since, and the last /list.
        private boolean interruptedAtPrompt;
        private List<Conversation> listed = List.of();

        Chat(Conversations conversations, Companion companion, PrintWriter out, PrintWriter err, Palette palette,
             LineSource.CtrlC ctrlC, boolean showReasoning) {
            this.conversations = conversations;
            this.companion = companion;
            this.out = out;
            this.err = err;
            this.palette = palette;
            this.ctrlC = ctrlC;
            this.showReasoning = showReasoning;
        }

        private synchronized Companion companion() {
            return companion;
        }

        void greet() {
            CompanionStatus status = companion().status();
            out.println(palette.bold(status.worker().label()) + " — " + palette.state(status.state())
                    + ", provider " + status.provider().kind() + " (" + status.provider().model() + ")");
            if (!status.provider().live()) {
                status.transport().limitation().ifPresent(out::println);
            }
            out.println("conversation: " + describe(status.conversation()));
            out.println(palette.dim(HINT));
            out.flush();
        }

        void run() {
            try {
                while (!leaving()) {
                    LineSource.Input input = lines.read(palette.bold("you> "), palette.dim("...> "), null);
                    if (input instanceof LineSource.Input.End) {
                        break;
                    }
                    if (input instanceof LineSource.Input.Interrupt interrupt) {
                        if (interrupt.again() || interruptedAtPrompt) {
                            break;
                        }
                        interruptedAtPrompt = true;
                        out.println(palette.dim("(Ctrl-C again, Ctrl-D or /exit to leave)"));
                        continue;
                    }
                    interruptedAtPrompt = false;
                    String message = ((LineSource.Input.Line) input).text();
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
                    send(message);
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
                Companion in;
                synchronized (this) {
                    boolean again = ctrlC.press();
                    in = companion;
                    if (following == null) {
                        lines.interruptedAtPrompt(again);
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
                    cancel(in, cancel);
                }
            } catch (RuntimeException e) {
                // This runs on the signal's thread: never let a failure escape as a stack trace.
                Failures.report(err, Diagnostic.error(DiagnosticCode.INTERNAL_ERROR,
                        "Ctrl-C could not be handled (" + e.getClass().getSimpleName() + ")"));
            }
        }

        private void accepted(TurnId turn) {
            boolean cancelNow;
            Companion in;
            synchronized (this) {
                runningTurn = turn;
                cancelNow = cancelWhenAccepted;
                in = companion;
            }
            if (cancelNow) {
                cancel(in, turn);
            }
        }

        private void cancel(Companion in, TurnId turn) {
            try {
                // The outcome comes back through the turn's events; an already ended turn needs nothing.
                in.cancel(CancelCommand.turn(turn));
            } catch (CompanionException e) {
                Failures.report(err, e.diagnostic());
            }
        }

        private synchronized boolean leaving() {
            return leave;
        }

        private void send(String message) throws InterruptedException {
            SendMessageCommand command;
            try {
                command = new SendMessageCommand(message, "cli");
            } catch (InvalidRequestException e) {
                Failures.report(err, e.diagnostic());
                return;
            }
            Companion in = companion();
            turn(in, () -> in.send(command));
        }

        /** Starts a turn (a send, a regenerate, an edit) and shows its reply as it streams, wrapped to the terminal. */
        private void turn(Companion in, Supplier<SendResult> start) throws InterruptedException {
            TurnFollower follower = new TurnFollower(in);
            synchronized (this) {
                following = follower;
                runningTurn = null;
                cancelWhenAccepted = false;
            }
            String prefix = "companion> ";
            // With reasoning shown, the reply's prompt waits for the reasoning to end, so the words follow it.
            boolean[] prefixed = {false};
            Runnable replyPrompt = () -> {
                if (!prefixed[0]) {
                    prefixed[0] = true;
                    out.print(palette.bold(prefix));
                    out.flush();
                }
            };
            if (!showReasoning) {
                replyPrompt.run();
            }
            ReasoningView thinking = new ReasoningView(out, palette);
            WordWrap wrap = new WordWrap(out, lines.width(), prefix.length());
            TurnFollower.Result result;
            try {
                result = follower.follow(start, this::accepted, new TurnFollower.Pieces() {
                    @Override
                    public void text(String text, Instant at) {
                        thinking.replyStarts(at);
                        replyPrompt.run();
                        wrap.accept(text);
                        out.flush();
                    }

                    @Override
                    public void reasoning(String text, Instant at) {
                        if (showReasoning) {
                            thinking.reasoning(text, at);
                        }
                    }
                });
                wrap.finish();
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
            if (result instanceof TurnFollower.Result.Ended ended) {
                thinking.turnEnded(ended.outcome().reply().flatMap(reply -> reply.details().reasoningTime()));
            }
            replyPrompt.run();
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
                } else {
                    // A reply the provider truncated, filtered or refused says so after its text.
                    out.flush();
                    Failures.endedEarly(outcome).ifPresent(diagnostic -> Failures.report(err, diagnostic));
                }
            }
            // Abandoned: a second Ctrl-C; the loop sees the leave and ends.
            out.flush();
        }

        /** Runs a slash command; false means leave. */
        private boolean slash(String line) throws InterruptedException {
            String[] words = line.split("\\s+", 2);
            String rest = words.length > 1 ? words[1].strip() : "";
            try {
                switch (words[0]) {
                    case "/exit", "/quit" -> {
                        return false;
                    }
                    case "/status" -> StatusCommand.print(out, palette, companion().status());
                    case "/history" -> {
                        int n = rest.isEmpty() ? 10 : Integer.parseInt(rest);
                        TranscriptCommand.print(out, err, palette, companion().transcript(TranscriptQuery.newest(n)));
                    }
                    case "/cancel" -> {
                        CancelResult result = companion().cancel(CancelCommand.running());
                        out.println("[" + palette.state(result.state()) + "] " + result.diagnostic().message());
                    }
                    case "/new" -> {
                        Conversation created = conversations.create(rest.isEmpty()
                                ? CreateConversationCommand.untitled() : CreateConversationCommand.titled(rest));
                        enter(created.id());
                    }
                    case "/list" -> list();
                    case "/switch" -> switchTo(rest);
                    case "/rename" -> rename(rest);
                    case "/regenerate" -> {
                        Companion in = companion();
                        turn(in, in::regenerate);
                    }
                    case "/edit" -> edit(rest);
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

        private void list() {
            listed = conversations.list(new ConversationQuery(Optional.empty(), Optional.empty(), LISTED))
                    .conversations();
            ConversationsCommand.print(out, palette, listed, Optional.of(companion().conversationId()));
            if (listed.isEmpty()) {
                out.println("no conversations");
            }
            out.println(palette.dim("/switch N goes to number N; * marks this one"));
        }

        /** /switch N (a number from the last /list) or /switch ID. */
        private void switchTo(String which) {
            if (which.isEmpty()) {
                err.println("error: /switch needs a number from /list or a conversation id; hint: /switch 2");
                return;
            }
            ConversationId id;
            if (which.matches("[0-9]{1,9}")) {
                if (listed.isEmpty()) {
                    listed = conversations.list(new ConversationQuery(Optional.empty(), Optional.empty(), LISTED))
                            .conversations();
                }
                int n = Integer.parseInt(which);
                if (n < 1 || n > listed.size()) {
                    err.println("error: there is no number " + n + " in the list; hint: /list shows them");
                    return;
                }
                id = listed.get(n - 1).id();
            } else {
                id = ConversationId.parse(which);
            }
            enter(id);
        }

        /** Makes {@code id} the conversation the prompt talks to. */
        private void enter(ConversationId id) {
            Companion opened = conversations.open(id);
            synchronized (this) {
                companion = opened;
            }
            out.println("now in " + describe(id) + " · /history shows its last items");
        }

        private void rename(String title) {
            if (title.isEmpty()) {
                err.println("error: /rename needs the new title; hint: /rename Trip to Lisbon");
                return;
            }
            Conversation renamed = conversations.rename(new RenameConversationCommand(companion().conversationId(), title));
            out.println("renamed: " + renamed.title().orElse(title));
        }

        /**
         * /edit TEXT replaces the last message's words. /edit alone, in a terminal, puts the last
         * message in the line to change it there; from a pipe there is no line to edit.
         */
        private void edit(String text) throws InterruptedException {
            Companion in = companion();
            if (!text.isEmpty()) {
                EditMessageCommand command = EditMessageCommand.of(text, "cli");
                turn(in, () -> in.edit(command));
                return;
            }
            if (!lines.canPrefill()) {
                err.println("error: /edit needs the new words here; hint: /edit What I meant was…");
                return;
            }
            Optional<TranscriptItem> last = lastMessage(in);
            if (last.isEmpty()) {
                Failures.report(err, Diagnostic.error(DiagnosticCode.NOTHING_TO_EDIT,
                        "There is no message to edit yet; send one first."));
                return;
            }
            LineSource.Input input = lines.read(palette.bold("edit> "), palette.dim("...> "),
                    TerminalLines.ContinuationParser.split(last.get().content()));
            if (input instanceof LineSource.Input.Line line && !line.text().isBlank()) {
                EditMessageCommand command = EditMessageCommand.of(line.text(), "cli");
                turn(in, () -> in.edit(command));
            } else {
                out.println(palette.dim("(nothing changed)"));
                if (input instanceof LineSource.Input.End) {
                    synchronized (this) {
                        leave = true;
                    }
                }
            }
        }

        /** The last message that still counts, within the newest page. */
        private static Optional<TranscriptItem> lastMessage(Companion in) {
            List<TranscriptItem> items = in.transcript(TranscriptQuery.newest(TranscriptQuery.MAX_LIMIT)).items();
            for (int i = items.size() - 1; i >= 0; i--) {
                TranscriptItem item = items.get(i);
                if (item.role() == Role.USER && item.status() != ItemStatus.SUPERSEDED) {
                    return Optional.of(item);
                }
            }
            return Optional.empty();
        }

        /** "Trip to Lisbon (c-…)", or "(untitled) (default)". */
        private String describe(ConversationId id) {
            return conversations.get(id).map(ConversationsCommand::title).orElse("(untitled)") + " (" + id + ")";
        }

        private void help() {
            out.println("/new [TITLE]      start a new conversation and talk in it");
            out.println("/list             the conversations, numbered, newest first (* marks this one)");
            out.println("/switch N|ID      go to conversation N of /list, or to the one with that id");
            out.println("/rename TITLE     give this conversation a title");
            out.println("/regenerate       answer the last message again (the old reply is kept, superseded)");
            out.println("/edit TEXT        replace the last message's words and answer them; /edit alone puts");
            out.println("                  the last message in the line to change it (in a terminal)");
            out.println("/status           the Companion's state, provider and transport");
            out.println("/history [n]      the last n transcript items (default 10)");
            out.println("/cancel           stop the running reply, wherever it was asked for");
            out.println("/help             this list");
            out.println("/exit             leave (Ctrl-D does too)");
            out.println("a line ending with \\ goes on on the next line: the message is sent at the first line without");
            out.println("Ctrl-C            during a reply: cancel it; at the prompt: drop what is typed; twice: leave");
            out.println("in a terminal     arrows and Ctrl-A/E edit the line, Up and Ctrl-R search what you typed, Tab completes");
        }

        /** Tab completes the slash commands, and the ids of the listed conversations after /switch. */
        Completer completer() {
            return (reader, line, candidates) -> {
                if (line.wordIndex() == 0 && line.word().startsWith("/")) {
                    SLASH_COMMANDS.forEach(command -> candidates.add(new Candidate(command)));
                } else if (line.wordIndex() == 1 && line.words().get(0).equals("/switch")) {
                    List<Conversation> known = new ArrayList<>(listed);
                    known.forEach(c -> candidates.add(new Candidate(c.id().value(), c.id().value(), null,
                            ConversationsCommand.title(c), null, null, true)));
                }
            };
        }
    }
}
