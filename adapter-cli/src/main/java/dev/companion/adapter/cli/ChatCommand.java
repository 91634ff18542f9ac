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
import dev.companion.core.model.TranscriptQuery;
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
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

@Command(name = "chat", mixinStandardHelpOptions = true,
        description = {"Talk with the Companion in the terminal; replies stream as they arrive.",
                "End a line with \\ to continue the message on the next line.",
                "Commands: /status, /history [n], /cancel, /help, /exit (or Ctrl-D)."},
        footerHeading = "%nExamples:%n",
        footer = {"  companion chat",
                "  companion chat --url http://127.0.0.1:8765      # the server's Companion"})
final class ChatCommand implements Callable<Integer> {

    private final Launcher launcher;
    private final InputStream stdin;

    @Spec
    CommandSpec spec;

    @Mixin
    Options.Connect connect = new Options.Connect();

    ChatCommand(Launcher launcher, InputStream stdin) {
        this.launcher = launcher;
        this.stdin = stdin;
    }

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Palette palette = Palette.detect();
        BufferedReader in = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8));
        try (Session session = launcher.open(connect.options(spec.commandLine()))) {
            Companion companion = session.companion();
            CompanionStatus status = companion.status();
            out.println(palette.bold(status.worker().label()) + " — " + palette.state(status.state())
                    + ", provider " + status.provider().kind() + " (" + status.provider().model() + ")");
            if (!status.provider().live()) {
                status.transport().limitation().ifPresent(out::println);
            }
            out.println(palette.dim("/help for commands, /exit or Ctrl-D to leave"));
            while (true) {
                String message = readMessage(in, out, palette);
                if (message == null) {
                    out.println();
                    out.flush();
                    return ExitCodes.OK;
                }
                String trimmed = message.strip();
                if (trimmed.isEmpty()) {
                    continue;
                }
                if (trimmed.startsWith("/")) {
                    if (!slash(trimmed, companion, out, err, palette)) {
                        return ExitCodes.OK;
                    }
                    continue;
                }
                try {
                    turn(companion, message, out, err, palette);
                } catch (CompanionException e) {
                    Failures.report(err, e.diagnostic());
                }
            }
        }
    }

    private void turn(Companion companion, String message, PrintWriter out, PrintWriter err, Palette palette)
            throws InterruptedException {
        out.print(palette.bold("companion> "));
        out.flush();
        TurnFollower.Result result = new TurnFollower(companion).send(new SendMessageCommand(message, "cli"), delta -> {
            out.print(delta);
            out.flush();
        });
        if (result instanceof TurnFollower.Result.NotAccepted notAccepted) {
            out.println();
            out.flush();
            for (Diagnostic diagnostic : notAccepted.result().diagnostics()) {
                Failures.report(err, diagnostic);
            }
            return;
        }
        TurnOutcome outcome = ((TurnFollower.Result.Ended) result).outcome();
        out.println();
        if (!(outcome instanceof TurnOutcome.Completed)) {
            out.println("[" + palette.state(outcome.state()) + "]");
            out.flush();
            outcome.diagnostics().forEach(diagnostic -> Failures.report(err, diagnostic));
        }
        out.flush();
    }

    /** Runs a slash command; false means leave. */
    private boolean slash(String line, Companion companion, PrintWriter out, PrintWriter err, Palette palette) {
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
                case "/help" -> {
                    out.println("/status        the Companion's state, provider and transport");
                    out.println("/history [n]   the last n transcript items (default 10)");
                    out.println("/cancel        stop the running reply");
                    out.println("/exit          leave (Ctrl-D does too)");
                    out.println("end a line with \\ to go on writing on the next line");
                }
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

    /** One message: lines ending with a backslash continue it. Null at end of input. */
    private static String readMessage(BufferedReader in, PrintWriter out, Palette palette) {
        StringBuilder message = new StringBuilder();
        out.print(palette.bold("you> "));
        out.flush();
        try {
            while (true) {
                String line = in.readLine();
                if (line == null) {
                    return message.length() == 0 ? null : message.toString();
                }
                if (line.endsWith("\\")) {
                    message.append(line, 0, line.length() - 1).append('\n');
                    out.print(palette.dim("...> "));
                    out.flush();
                } else {
                    return message.append(line).toString();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
