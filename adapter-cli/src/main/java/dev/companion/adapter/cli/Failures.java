package dev.companion.adapter.cli;

import dev.companion.adapter.cli.CompanionCommandLine.ExitCodes;
import dev.companion.core.SendMessageCommand;
import dev.companion.core.model.CompanionException;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.TurnOutcome;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.PrintWriter;
import java.net.URI;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The CLI's error edge: every failure becomes one line on standard error ({@code error: <message>
 * (<code>)}), one hint line, and an exit code. Never a stack trace: the message of a
 * {@link CompanionException} is written for the outside, anything else is named only by its type.
 */
final class Failures implements IExecutionExceptionHandler, IParameterExceptionHandler {

    private static final String HELD_BY_UNKNOWN = "a Companion server holds this data directory: talk to it with "
            + "--url and the address it printed at start-up, or choose another with --data-dir or --ephemeral";

    /** The exit codes in the order the help lists them. */
    static final Map<String, String> EXIT_CODE_HELP = exitCodeHelp();

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine commandLine = ex.getCommandLine();
        PrintWriter err = commandLine.getErr();
        err.println("error: " + oneLine(ex.getMessage()));
        String help = "see '" + commandLine.getCommandSpec().qualifiedName() + " --help'";
        if (ex instanceof UnmatchedArgumentException unmatched && !unmatched.getSuggestions().isEmpty()) {
            help = "did you mean " + String.join(" or ", unmatched.getSuggestions()) + "? " + help;
        }
        err.println("hint: " + help);
        err.flush();
        return ExitCodes.USAGE;
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine commandLine, ParseResult parseResult) {
        if (ex instanceof CompanionException failure) {
            if (commandLine.getCommand() instanceof JsonOutput output && output.json()) {
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("state", failure.state().wireName());
                json.put("diagnostics", Views.diagnostics(List.of(failure.diagnostic())));
                commandLine.getOut().println(Json.write(json));
                commandLine.getOut().flush();
            }
            Diagnostic diagnostic = failure.diagnostic();
            if (diagnostic.code() == DiagnosticCode.DATA_DIRECTORY_LOCKED) {
                report(commandLine.getErr(), diagnostic, heldHint(failure, commandLine.getCommandSpec().qualifiedName()));
            } else if (diagnostic.code() == DiagnosticCode.STORE_UNAVAILABLE
                    || diagnostic.code() == DiagnosticCode.STORE_SCHEMA_OUTDATED) {
                report(commandLine.getErr(), diagnostic, storeHint(diagnostic.code(),
                        commandLine.getCommandSpec().qualifiedName(), storeUrl(parseResult)));
            } else {
                report(commandLine.getErr(), diagnostic);
            }
            return exitCode(failure.state(), diagnostic.code());
        }
        // Not ours to explain: name the type only, since a foreign message may carry a path or a key.
        report(commandLine.getErr(), Diagnostic.error(DiagnosticCode.INTERNAL_ERROR,
                "something went wrong inside the command line (" + ex.getClass().getSimpleName() + ")"));
        return ExitCodes.ERROR;
    }

    /** Prints {@code error: <message> (<code>)} and a hint for what to do. */
    static void report(PrintWriter err, Diagnostic diagnostic) {
        report(err, diagnostic, hint(diagnostic.code()));
    }

    static void report(PrintWriter err, Diagnostic diagnostic, String hint) {
        String word = switch (diagnostic.severity()) {
            case ERROR -> "error";
            case WARNING -> "warning";
            case INFO -> "note";
        };
        err.println(word + ": " + oneLine(diagnostic.message()) + " (" + diagnostic.code().wireName() + ")");
        err.println("hint: " + hint);
        err.flush();
    }

    /**
     * What to do about a held data directory. {@code --url} is suggested with the address of the
     * server that holds it when the composition root knows it, and never with a guessed one: a
     * default port may belong to another server, or to none. {@code command} is the command as
     * typed, e.g. {@code companion conversations new}, so the example can be copied.
     */
    static String heldHint(CompanionException failure, String command) {
        Optional<String> holder = failure instanceof CompanionCommandLine.DataDirectoryHeldException held
                ? held.serverUrl().flatMap(Failures::shownAddress) : Optional.empty();
        String other = "or choose another with --data-dir or --ephemeral";
        boolean serve = command.endsWith(" serve");
        if (command.endsWith(" store import")) {
            return "stop the Companion server " + holder.map(url -> "at " + url + " ").orElse("")
                    + "that uses this data directory, then import again";
        }
        if (holder.isEmpty()) {
            return serve ? "another Companion server uses this data directory; stop it, " + other : HELD_BY_UNKNOWN;
        }
        String url = holder.get();
        if (serve) {
            return "the Companion server at " + url + " already serves this data directory: open " + url
                    + "/console, " + other;
        }
        if (command.endsWith(" chat")) {
            return "the Companion server at " + url + " holds this data directory; chat with it: 'companion chat --url "
                    + url + "', " + other;
        }
        return "the Companion server at " + url + " holds this data directory; talk to it: add --url " + url
                + " (e.g. '" + command + " --url " + url + "'), " + other;
    }

    /**
     * What to do when the shared database fails. {@code storeUrl} is the {@code --store} given to this
     * command, if any (without it the database is a server's at {@code --url}); only its host and
     * port are ever shown, never a user or a password.
     */
    static String storeHint(DiagnosticCode code, String command, Optional<String> storeUrl) {
        if (code == DiagnosticCode.STORE_SCHEMA_OUTDATED) {
            if (command.endsWith(" store migrate")) {
                return "a migration failed and was rolled back, nothing changed; the database server's log says why";
            }
            return storeUrl.isPresent()
                    ? "apply this release's migrations: 'companion store migrate --store URL', or start without --no-migrate"
                    : "the server's database needs this release's migrations: 'companion store migrate --store URL'";
        }
        if (storeUrl.isEmpty()) {
            return "the server cannot reach its database right now; try again once it is back";
        }
        String where = storeAddress(storeUrl.get()).map(address -> " at " + address).orElse("");
        return "check that PostgreSQL is running and reachable" + where
                + ", and the user and the password (PGPASSWORD or --store-password-file)";
    }

    /** {@code HOST:PORT} of a store URL (5432 when it names no port), if it can be read; never the user or password. */
    static Optional<String> storeAddress(String url) {
        int scheme = url.indexOf("//");
        if (scheme < 0) {
            return Optional.empty();
        }
        String rest = url.substring(scheme + 2);
        String authority = rest.split("[/?#]", 2)[0];
        String hostPort = authority.substring(authority.lastIndexOf('@') + 1);
        if (!hostPort.matches("(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9._-]+)(:[0-9]{1,5})?")) {
            return Optional.empty();
        }
        return Optional.of(hostPort.matches(".*:[0-9]{1,5}") && !hostPort.endsWith("]") ? hostPort : hostPort + ":5432");
    }

    private static Optional<String> storeUrl(ParseResult parseResult) {
        for (ParseResult at = parseResult; at != null; at = at.subcommand()) {
            if (at.hasMatchedOption("--store")) {
                return Optional.ofNullable(at.matchedOptionValue("--store", (String) null));
            }
        }
        return Optional.empty();
    }

    /**
     * An address fit to print: http or https with a host, shown as scheme, host and port only, so
     * that neither a path nor user information (a token, say) given with it is ever echoed.
     */
    static Optional<String> shownAddress(URI url) {
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null) {
            return Optional.empty();
        }
        return Optional.of(scheme + "://" + url.getHost() + (url.getPort() >= 0 ? ":" + url.getPort() : ""));
    }

    static int exitCode(CompanionState state, DiagnosticCode code) {
        switch (code) {
            case SERVER_UNREACHABLE, PORT_IN_USE, STORE_UNAVAILABLE:
                return ExitCodes.UNAVAILABLE;
            case STORE_SCHEMA_OUTDATED:
                return ExitCodes.STORE_SCHEMA_OUTDATED;
            case DATA_DIRECTORY_LOCKED:
                return ExitCodes.DATA_DIRECTORY_LOCKED;
            case CONVERSATION_NOT_FOUND, NOTHING_TO_REGENERATE, NOTHING_TO_EDIT:
                // Whatever state a remote server reports them in: the id or the request must change.
                return ExitCodes.USAGE;
            case PROVIDER_REPLY_TRUNCATED, PROVIDER_REPLY_FILTERED, PROVIDER_REPLY_REFUSED:
                // The turn completed (state ready), but a script should not take the reply as whole.
                return ExitCodes.ENDED_EARLY;
            default:
                break;
        }
        return switch (state) {
            case READY, ACCEPTED -> ExitCodes.OK;
            case REJECTED -> ExitCodes.USAGE;
            case BUSY -> ExitCodes.BUSY;
            case TIMEOUT -> ExitCodes.TIMEOUT;
            case CANCELLED -> ExitCodes.CANCELLED;
            case ERROR -> ExitCodes.ERROR;
        };
    }

    static String hint(DiagnosticCode code) {
        return switch (code) {
            case COMPANION_BUSY -> "a reply is being written; wait for it to end, or cancel it, then try again";
            case TOO_MANY_RUNNING_TURNS -> "replies are being written in other conversations; try again when one ends";
            case CONVERSATION_NOT_FOUND -> "'companion conversations' lists them";
            case NOTHING_TO_REGENERATE -> "send a message first; regenerate answers the last one again";
            case NOTHING_TO_EDIT -> "send a message first; edit changes the words of the last one";
            case EMPTY_MESSAGE -> "give the message as an argument, or pipe it to standard input";
            case MESSAGE_TOO_LONG -> "shorten the message to " + SendMessageCommand.MAX_CHARACTERS
                    + " characters or fewer";
            case INVALID_PARAMETER, MALFORMED_JSON, INVALID_UTF8, UNSUPPORTED_MEDIA_TYPE, BODY_TOO_LARGE,
                 NOT_FOUND, METHOD_NOT_ALLOWED -> "see the command's --help for the accepted values";
            case TURN_TIMEOUT -> "try again; a shorter message or a faster model ends sooner";
            case CANCELLED -> "the partial reply is kept in the transcript, marked cancelled";
            case MODEL_FAILED -> "check the provider settings shown by 'companion status'";
            case CAPABILITY_DENIED -> "the Companion can only converse; it has no other authority";
            case STORAGE_WRITE_FAILED, STORAGE_READ_FAILED ->
                    "check that the data directory exists, is writable and has free space";
            case DATA_DIRECTORY_LOCKED -> HELD_BY_UNKNOWN;
            case SERVER_UNREACHABLE -> "start one with 'companion serve', or check the address given to --url";
            case STORE_UNAVAILABLE -> storeHint(code, "", Optional.empty());
            case STORE_SCHEMA_OUTDATED -> storeHint(code, "", Optional.empty());
            case PORT_IN_USE -> "choose another port with --port, or stop the program that holds it";
            case FORBIDDEN_HOST, FORBIDDEN_ORIGIN -> "reach the server by the address it printed at start-up";
            case UNAUTHORIZED -> "give the server's access token with --access-token-file";
            case INTERNAL_ERROR -> "this is a bug; please report it with the command you ran";
            case PROVIDER_REPLY_TRUNCATED -> "ask for a shorter answer, or raise the limit with --max-output-tokens";
            case PROVIDER_REPLY_FILTERED -> "rephrase the message (edit replaces the last one)";
            case PROVIDER_REPLY_REFUSED -> "rephrase the message (edit replaces the last one), or ask something else";
            default -> "see docs/diagnostics.md for this code and what to do";
        };
    }

    private static String oneLine(String message) {
        return message == null ? "" : message.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    private static Map<String, String> exitCodeHelp() {
        Map<String, String> codes = new LinkedHashMap<>();
        codes.put(ExitCodes.OK + "", "ok: done (send: the turn completed)");
        codes.put(ExitCodes.ERROR + "", "error: the provider failed, or an internal error");
        codes.put(ExitCodes.USAGE + "", "usage: bad option or rejected input; nothing changed");
        codes.put(ExitCodes.BUSY + "", "busy: another turn is running, or the provider asked to slow down");
        codes.put(ExitCodes.TIMEOUT + "", "timeout: the turn ran past its time limit");
        codes.put(ExitCodes.CANCELLED + "", "cancelled: the turn was cancelled");
        codes.put(ExitCodes.UNAVAILABLE + "", "unavailable: cannot reach the server or the database, or the port is taken");
        codes.put(ExitCodes.DATA_DIRECTORY_LOCKED + "", "locked: another process holds the data directory");
        codes.put(ExitCodes.ENDED_EARLY + "", "ended early: the reply was truncated, filtered or refused by the provider");
        codes.put(ExitCodes.STORE_SCHEMA_OUTDATED + "", "outdated: the database needs 'companion store migrate'");
        return Collections.unmodifiableMap(codes);
    }

    /**
     * The warning of a turn that completed but whose reply the provider ended early (truncated,
     * filtered, refused): from the outcome's diagnostics, or from the reply's status should a server
     * send the status without them.
     */
    static Optional<Diagnostic> endedEarly(TurnOutcome outcome) {
        if (!(outcome instanceof TurnOutcome.Completed)) {
            return Optional.empty();
        }
        return outcome.diagnostics().stream().filter(d -> exitCode(CompanionState.READY, d.code()) == ExitCodes.ENDED_EARLY)
                .findFirst()
                .or(() -> outcome.reply().flatMap(reply -> switch (reply.status()) {
                    case TRUNCATED -> Optional.of(Diagnostic.warning(DiagnosticCode.PROVIDER_REPLY_TRUNCATED,
                            "The reply was cut off at the output token limit."));
                    case FILTERED -> Optional.of(Diagnostic.warning(DiagnosticCode.PROVIDER_REPLY_FILTERED,
                            "The provider's content filter stopped the reply."));
                    case REFUSED -> Optional.of(Diagnostic.warning(DiagnosticCode.PROVIDER_REPLY_REFUSED,
                            "The model declined to answer."));
                    default -> Optional.empty();
                }));
    }

    /** A command that can print its result as JSON, and so its failures too. */
    interface JsonOutput {
        boolean json();
    }
}
