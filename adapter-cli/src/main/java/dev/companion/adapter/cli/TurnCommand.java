package dev.companion.adapter.cli;

import dev.companion.adapter.cli.CompanionCommandLine.ExitCodes;
import dev.companion.adapter.cli.CompanionCommandLine.Launcher;
import dev.companion.core.Companion;
import dev.companion.core.SendMessageCommand;
import dev.companion.core.SendResult;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.InvalidRequestException;
import dev.companion.core.model.Severity;
import dev.companion.core.model.TurnOutcome;
import picocli.CommandLine.Mixin;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A command that starts one turn ({@code send}, {@code regenerate}, {@code edit}), prints the reply
 * as it streams (or one JSON object at the end), and exits with how the turn ended.
 */
abstract class TurnCommand extends ClientCommand {

    /** Enough bytes for the longest message in UTF-8 (4 bytes a character) and a line break. */
    private static final int MAX_STDIN_BYTES = SendMessageCommand.MAX_CHARACTERS * 4 + 2;

    @Mixin
    Options.ConversationChoice conversation = new Options.ConversationChoice();

    @Mixin
    Options.Reasoning reasoning = new Options.Reasoning();

    private final InputStream stdin;

    TurnCommand(Launcher launcher, InputStream stdin) {
        super(launcher);
        this.stdin = stdin;
    }

    /** What became of the turn, for a caller that must undo something when it did not start. */
    record Run(int exitCode, boolean accepted) {
    }

    /**
     * Starts the turn with {@code start}, follows it to its end and prints it. Standard output is the
     * reply alone, so a script can pipe it; reasoning, when asked for, goes to standard error.
     */
    Run follow(Companion companion, Supplier<SendResult> start) throws InterruptedException {
        // With --json nothing streams: the reasoning is the reply's "reasoning" field.
        ReasoningView thinking = reasoning.show && !json() ? new ReasoningView(err(), Palette.detect()) : null;
        TurnFollower.Result result = new TurnFollower(companion).follow(start, turn -> { }, new TurnFollower.Pieces() {
            @Override
            public void text(String text, Instant at) {
                if (!json()) {
                    if (thinking != null) {
                        thinking.replyStarts(at);
                    }
                    out().print(text);
                    out().flush();
                }
            }

            @Override
            public void reasoning(String text, Instant at) {
                if (thinking != null) {
                    thinking.reasoning(text, at);
                }
            }
        });
        if (result instanceof TurnFollower.Result.NotAccepted notAccepted) {
            return new Run(notAccepted(companion, notAccepted.result()), false);
        }
        TurnFollower.Result.Ended ended = (TurnFollower.Result.Ended) result;
        if (thinking != null) {
            thinking.turnEnded(ended.outcome().reply().flatMap(reply -> reply.details().reasoningTime()));
        }
        return new Run(ended(companion, ended), true);
    }

    private int notAccepted(Companion companion, SendResult result) {
        if (json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("state", result.state().wireName());
            json.put("conversation_id", companion.conversationId().value());
            if (result instanceof SendResult.Busy busy) {
                Views.runningTurn(json, busy.runningTurn());
            }
            json.put("diagnostics", Views.diagnostics(result.diagnostics()));
            printJson(json);
        }
        // The result's own diagnostic explains it; these stand in should one ever come without.
        DiagnosticCode expected = result instanceof SendResult.Busy ? DiagnosticCode.COMPANION_BUSY
                : result instanceof SendResult.Refused ? DiagnosticCode.INVALID_PARAMETER
                : DiagnosticCode.STORAGE_WRITE_FAILED;
        Diagnostic diagnostic = worst(result.diagnostics(), expected);
        Failures.report(err(), diagnostic);
        return Failures.exitCode(result.state(), diagnostic.code());
    }

    private int ended(Companion companion, TurnFollower.Result.Ended ended) {
        TurnOutcome outcome = ended.outcome();
        List<Diagnostic> diagnostics = new ArrayList<>(ended.accepted().diagnostics());
        diagnostics.addAll(outcome.diagnostics());
        if (json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("state", outcome.state().wireName());
            // The core's word for how the turn ended, as HTTP prints it: completed, failed, cancelled, timed_out.
            json.put("outcome", outcome.end().wireName());
            json.put("conversation_id", companion.conversationId().value());
            json.put("turn_id", outcome.turnId().value());
            json.put("user_item", Views.item(ended.accepted().turn().userItem()));
            json.put("reply", outcome.reply().map(Views::item));
            json.put("diagnostics", Views.diagnostics(diagnostics));
            printJson(json);
        } else {
            out().println();
            out().flush();
        }
        Optional<Diagnostic> early = Failures.endedEarly(outcome);
        if (early.isPresent()) {
            // After the text, so the reader sees where it stopped; the exit code tells a script.
            Failures.report(err(), early.get());
            return ExitCodes.ENDED_EARLY;
        }
        DiagnosticCode expected = switch (outcome.end()) {
            case COMPLETED -> null;
            case CANCELLED -> DiagnosticCode.CANCELLED;
            case TIMED_OUT -> DiagnosticCode.TURN_TIMEOUT;
            case FAILED -> DiagnosticCode.MODEL_FAILED;
        };
        if (expected == null) {
            return ExitCodes.OK;
        }
        Diagnostic diagnostic = worst(outcome.diagnostics(), expected);
        Failures.report(err(), diagnostic);
        return Failures.exitCode(outcome.state(), diagnostic.code());
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

    /** The message from {@code text}, or from standard input when it is absent or {@code -}. */
    String message(String text) {
        return text == null || text.equals("-") ? readStdin() : text;
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
