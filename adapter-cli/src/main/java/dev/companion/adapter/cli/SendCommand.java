package dev.companion.adapter.cli;

import dev.companion.adapter.cli.CompanionCommandLine.ExitCodes;
import dev.companion.adapter.cli.CompanionCommandLine.Launcher;
import dev.companion.adapter.cli.CompanionCommandLine.Session;
import dev.companion.core.SendMessageCommand;
import dev.companion.core.SendResult;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.InvalidRequestException;
import dev.companion.core.model.Severity;
import dev.companion.core.model.TurnOutcome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "send", mixinStandardHelpOptions = true,
        description = {"Send the Companion one message and print its reply as it streams.",
                "With no TEXT, or TEXT '-', the message is read from standard input.",
                "The exit code says how the turn ended (see below)."},
        footerHeading = "%nExamples:%n",
        footer = {"  companion send \"What is a good name for a cat?\"",
                "  git log -1 --format=%%B | companion send -",
                "  companion send \"hi\" --url http://127.0.0.1:8765 --json | jq .state"})
final class SendCommand extends ClientCommand {

    /** Enough bytes for the longest message in UTF-8 (4 bytes a character) and a line break. */
    private static final int MAX_STDIN_BYTES = SendMessageCommand.MAX_CHARACTERS * 4 + 2;

    @Parameters(index = "0", arity = "0..1", paramLabel = "TEXT", description = "The message ('-': read standard input).")
    String text;

    private final InputStream stdin;

    SendCommand(Launcher launcher, InputStream stdin) {
        super(launcher);
        this.stdin = stdin;
    }

    @Override
    public Integer call() throws InterruptedException {
        // Validate before starting anything: rejected input must change nothing.
        SendMessageCommand command = new SendMessageCommand(text == null || text.equals("-") ? readStdin() : text, "cli");
        try (Session session = open()) {
            TurnFollower.Result result = new TurnFollower(session.companion()).send(command, delta -> {
                if (!json()) {
                    out().print(delta);
                    out().flush();
                }
            });
            if (result instanceof TurnFollower.Result.NotAccepted notAccepted) {
                return notAccepted(notAccepted.result());
            }
            return ended((TurnFollower.Result.Ended) result);
        }
    }

    private int notAccepted(SendResult result) {
        if (json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("state", result.state().wireName());
            if (result instanceof SendResult.Busy busy) {
                json.put("running_turn", busy.runningTurn().value());
            }
            json.put("diagnostics", Views.diagnostics(result.diagnostics()));
            printJson(json);
        }
        Diagnostic diagnostic = worst(result.diagnostics(), result instanceof SendResult.Busy
                ? DiagnosticCode.COMPANION_BUSY : DiagnosticCode.STORAGE_WRITE_FAILED);
        Failures.report(err(), diagnostic);
        return Failures.exitCode(result.state(), diagnostic.code());
    }

    private int ended(TurnFollower.Result.Ended ended) {
        TurnOutcome outcome = ended.outcome();
        List<Diagnostic> diagnostics = new ArrayList<>(ended.accepted().diagnostics());
        diagnostics.addAll(outcome.diagnostics());
        if (json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("state", outcome.state().wireName());
            json.put("outcome", outcomeWord(outcome));
            json.put("turn_id", outcome.turnId().value());
            json.put("user_item", Views.item(ended.accepted().turn().userItem()));
            json.put("reply", outcome.reply().map(Views::item));
            json.put("diagnostics", Views.diagnostics(diagnostics));
            printJson(json);
        } else {
            out().println();
            out().flush();
        }
        if (outcome instanceof TurnOutcome.Completed) {
            return ExitCodes.OK;
        }
        DiagnosticCode expected = outcome instanceof TurnOutcome.Cancelled ? DiagnosticCode.CANCELLED
                : outcome instanceof TurnOutcome.TimedOut ? DiagnosticCode.TURN_TIMEOUT : DiagnosticCode.MODEL_FAILED;
        Diagnostic diagnostic = worst(outcome.diagnostics(), expected);
        Failures.report(err(), diagnostic);
        return Failures.exitCode(outcome.state(), diagnostic.code());
    }

    private static String outcomeWord(TurnOutcome outcome) {
        if (outcome instanceof TurnOutcome.Completed) {
            return "completed";
        } else if (outcome instanceof TurnOutcome.Failed) {
            return "failed";
        } else if (outcome instanceof TurnOutcome.Cancelled) {
            return "cancelled";
        }
        return "timeout";
    }

    /** The most severe diagnostic, so the one line on stderr is the one that explains the outcome. */
    private static Diagnostic worst(List<Diagnostic> diagnostics, DiagnosticCode fallback) {
        return diagnostics.stream()
                .filter(d -> d.severity() == Severity.ERROR)
                .findFirst()
                .or(() -> diagnostics.stream().filter(d -> d.severity() == Severity.WARNING).findFirst())
                .or(() -> diagnostics.stream().filter(d -> d.code() == fallback).findFirst())
                .orElseGet(() -> Diagnostic.error(fallback, "The turn ended without a reply."));
    }

    private String readStdin() {
        if (System.console() != null && stdin == System.in) {
            err().println("reading the message from standard input; end it with Ctrl-D");
            err().flush();
        }
        try {
            byte[] bytes = stdin.readNBytes(MAX_STDIN_BYTES + 1);
            if (bytes.length > MAX_STDIN_BYTES) {
                throw new InvalidRequestException(Diagnostic.error(DiagnosticCode.MESSAGE_TOO_LONG,
                        "The message on standard input is longer than " + SendMessageCommand.MAX_CHARACTERS
                                + " characters."));
            }
            String read = new String(bytes, StandardCharsets.UTF_8);
            // `echo hi | companion send` should send "hi", not "hi\n".
            return read.endsWith("\r\n") ? read.substring(0, read.length() - 2)
                    : read.endsWith("\n") ? read.substring(0, read.length() - 1) : read;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
