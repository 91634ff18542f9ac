package dev.companion.adapter.cli;

import dev.companion.core.Companion;
import dev.companion.core.Conversations;
import dev.companion.core.ListWorkersUseCase;
import dev.companion.core.model.CompanionException;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.CompanionStatus;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import picocli.CommandLine;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The {@code companion} command line: {@code serve}, {@code status}, {@code workers},
 * {@code transcript}, {@code send}, {@code regenerate}, {@code edit}, {@code conversations},
 * {@code chat} and {@code completion}, written against the core's
 * driving ports. The CLI knows neither the runtime nor the HTTP adapter: the composition root hands
 * it a {@link Launcher} that opens a {@link Session} (in-process, or against a server at
 * {@code --url}) and starts a {@link RunningServer}.
 *
 * <pre>{@code
 * System.exit(CompanionCommandLine.run(launcher, "1.0.0", args));
 * }</pre>
 *
 * Nothing here calls {@code System.exit}; every command returns its exit code (see {@link ExitCodes}).
 */
public final class CompanionCommandLine {

    private CompanionCommandLine() {
    }

    /**
     * Runs one command line and returns its exit code. The composition root calls this, so it needs
     * no picocli type of its own (picocli stays inside this adapter).
     */
    public static int run(Launcher launcher, String version, String... args) {
        return Commands.forArguments(Objects.requireNonNull(launcher, "launcher"),
                Objects.requireNonNull(version, "version"), System.in, args).execute(args);
    }

    /** A command line reading message text from standard input when {@code send} is given none. */
    public static CommandLine create(Launcher launcher, String version) {
        return create(launcher, version, System.in);
    }

    /** As {@link #create(Launcher, String)}, reading message text from {@code stdin}. */
    public static CommandLine create(Launcher launcher, String version, InputStream stdin) {
        return Commands.build(Objects.requireNonNull(launcher, "launcher"),
                Objects.requireNonNull(version, "version"), Objects.requireNonNull(stdin, "stdin"));
    }

    /** What the composition root provides: a way to reach a Companion, and a way to serve one. */
    public interface Launcher {

        /**
         * A Companion to drive: the one at {@code options.url()} when given, otherwise one started
         * in-process on the configured provider and data directory.
         *
         * @throws dev.companion.core.model.CompanionException with a diagnostic when it cannot be
         *         reached ({@code server_unreachable}) or its data directory is held by another
         *         process ({@code data_directory_locked}; throw a {@link DataDirectoryHeldException}
         *         to name the server that holds it)
         */
        Session open(ConnectOptions options);

        /**
         * Starts the runtime, the HTTP API and the console, and returns once they listen.
         *
         * @throws dev.companion.core.model.CompanionException with a diagnostic when the address is
         *         taken ({@code port_in_use}) or the data directory is held ({@code data_directory_locked},
         *         as a {@link DataDirectoryHeldException} when the holder's address is known)
         */
        RunningServer serve(ServeOptions options);

        /**
         * Applies the shared database's migrations ({@code companion store migrate}) and says what it did.
         *
         * @throws dev.companion.core.model.CompanionException {@code store_unavailable} when the database
         *         cannot be reached or refuses the credentials, {@code store_schema_outdated} when a
         *         migration fails, {@code invalid_parameter} for a URL or password file it cannot use
         */
        default StoreMigration migrate(StoreOptions store) {
            throw noSharedStore();
        }

        /**
         * Copies every conversation of the data directory {@code dataDir} into the shared database
         * ({@code companion store import}), taking the directory's lock while it reads; what is
         * already there is not copied again.
         *
         * @throws dev.companion.core.model.CompanionException as {@link #migrate}, and
         *         {@code data_directory_locked} (a {@link DataDirectoryHeldException} when the holder
         *         is known) while a server uses the directory
         */
        default StoreImport importJournal(Path dataDir, StoreOptions store) {
            throw noSharedStore();
        }

        private static CompanionException noSharedStore() {
            return new CompanionException(CompanionState.REJECTED, Diagnostic.error(DiagnosticCode.INVALID_PARAMETER,
                    "This program keeps conversations in no shared database."));
        }
    }

    /** A Companion opened for one command. Closing it stops what {@link Launcher#open} started. */
    public interface Session extends AutoCloseable {

        /** The default conversation: what every command drives when no {@code --conversation} is given. */
        Companion companion();

        /** Every conversation: the runtime's in-process, or the server's at {@code --url}. */
        Conversations conversations();

        ListWorkersUseCase workers();

        /**
         * Where {@code chat} keeps the lines typed at its prompt, so that the arrows and Ctrl-R find
         * them in the next chat: a file the composition root chose (in the data directory, say), or
         * empty to keep none. The CLI never computes a path itself, and keeps none with
         * {@code --ephemeral} whatever this says.
         */
        default Optional<Path> chatHistoryFile() {
            return Optional.empty();
        }

        @Override
        void close();
    }

    /** A server that is listening. */
    public interface RunningServer extends AutoCloseable {

        /** Where a browser finds the console, e.g. {@code http://127.0.0.1:8765/console}. */
        URI consoleUri();

        /** The Companion's status as the server projects it. */
        CompanionStatus status();

        /** Blocks until the server has been stopped (by a shutdown hook, say). */
        void awaitShutdown() throws InterruptedException;

        @Override
        void close();
    }

    /** Which model writes the replies; {@code auto} picks a configured provider, else offline. */
    public enum ProviderChoice {
        AUTO, OFFLINE, OPENAI, ANTHROPIC;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * The provider options. A key is never given on the command line: only the name of the
     * environment variable holding it, or a file it is read from. {@code maxOutputTokens} is the most
     * a reply may use, empty for the provider's default.
     */
    public record ProviderOptions(ProviderChoice provider, Optional<String> model, Optional<URI> baseUrl,
                                  Optional<String> apiKeyEnv, Optional<Path> apiKeyFile, TimeLimits timeLimits,
                                  OptionalInt maxOutputTokens) {

        /** The largest output limit accepted: beyond any model's, so a larger number is surely a typing slip. */
        public static final int MAX_OUTPUT_TOKENS = 1_000_000;

        public ProviderOptions {
            Objects.requireNonNull(provider, "provider");
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(baseUrl, "baseUrl");
            Objects.requireNonNull(apiKeyEnv, "apiKeyEnv");
            Objects.requireNonNull(apiKeyFile, "apiKeyFile");
            Objects.requireNonNull(timeLimits, "timeLimits");
            Objects.requireNonNull(maxOutputTokens, "maxOutputTokens");
            if (apiKeyEnv.isPresent() && apiKeyFile.isPresent()) {
                throw new IllegalArgumentException("give the API key by environment variable or by file, not both");
            }
            if (maxOutputTokens.isPresent()
                    && (maxOutputTokens.getAsInt() < 1 || maxOutputTokens.getAsInt() > MAX_OUTPUT_TOKENS)) {
                throw new IllegalArgumentException("the output limit must be 1 to " + MAX_OUTPUT_TOKENS + " tokens");
            }
        }

        /** The options with the provider's default output limit. */
        public ProviderOptions(ProviderChoice provider, Optional<String> model, Optional<URI> baseUrl,
                               Optional<String> apiKeyEnv, Optional<Path> apiKeyFile, TimeLimits timeLimits) {
            this(provider, model, baseUrl, apiKeyEnv, apiKeyFile, timeLimits, OptionalInt.empty());
        }

        /** The options with each time limit and the output limit left at the provider's default. */
        public ProviderOptions(ProviderChoice provider, Optional<String> model, Optional<URI> baseUrl,
                               Optional<String> apiKeyEnv, Optional<Path> apiKeyFile) {
            this(provider, model, baseUrl, apiKeyEnv, apiKeyFile, TimeLimits.defaults());
        }

        /** {@code auto} with nothing else set. */
        public static ProviderOptions auto() {
            return new ProviderOptions(ProviderChoice.AUTO, Optional.empty(), Optional.empty(),
                    Optional.empty(), Optional.empty());
        }
    }

    /**
     * The four time limits of a live model's reply, each empty for the provider's default:
     * to connect, to the first piece of text, between two pieces, and for the whole reply.
     */
    public record TimeLimits(Optional<Duration> connect, Optional<Duration> firstToken, Optional<Duration> idle,
                             Optional<Duration> total) {

        public TimeLimits {
            for (Optional<Duration> limit : List.of(connect, firstToken, idle, total)) {
                Objects.requireNonNull(limit, "limit");
                if (limit.isPresent() && (limit.get().isNegative() || limit.get().isZero())) {
                    throw new IllegalArgumentException("a time limit must be positive");
                }
            }
        }

        public static TimeLimits defaults() {
            return new TimeLimits(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
        }
    }

    /**
     * Where transcripts live: a data directory (the default one when empty), memory only, or a
     * database shared by several servers ({@code --store}).
     */
    public record StorageOptions(Optional<Path> dataDir, boolean ephemeral, Optional<StoreOptions> store) {

        public StorageOptions {
            Objects.requireNonNull(dataDir, "dataDir");
            Objects.requireNonNull(store, "store");
            if (ephemeral && dataDir.isPresent()) {
                throw new IllegalArgumentException("an ephemeral Companion has no data directory");
            }
            if (store.isPresent() && (ephemeral || dataDir.isPresent())) {
                throw new IllegalArgumentException("a Companion on a shared database has no data directory");
            }
        }

        /** A data directory (the default one when empty), or memory only. */
        public StorageOptions(Optional<Path> dataDir, boolean ephemeral) {
            this(dataDir, ephemeral, Optional.empty());
        }

        public static StorageOptions defaults() {
            return new StorageOptions(Optional.empty(), false);
        }

        /** The shared database {@code store} names. */
        public static StorageOptions shared(StoreOptions store) {
            return new StorageOptions(Optional.empty(), false, Optional.of(store));
        }
    }

    /**
     * A database several servers share ({@code --store postgresql://HOST:PORT/DB?user=USER}). The URL
     * never carries a password: it comes from {@code passwordFile}, or the composition root reads it
     * from the environment ({@code PGPASSWORD}). {@code migrate}: bring the database's tables up to
     * this release when opening it (the default), or only check that they are.
     */
    public record StoreOptions(String url, Optional<Path> passwordFile, boolean migrate, Optional<Duration> turnLease) {

        public StoreOptions {
            Objects.requireNonNull(url, "url");
            Objects.requireNonNull(passwordFile, "passwordFile");
            Objects.requireNonNull(turnLease, "turnLease");
            if (url.isBlank()) {
                throw new IllegalArgumentException("the store URL is empty");
            }
            if (carriesPassword(url)) {
                // Never repeat the URL: it would print the password.
                throw new IllegalArgumentException("the store URL must not carry a password; "
                        + "give it in PGPASSWORD or in a file named by --store-password-file");
            }
        }

        /** With the store's own turn lease ({@code --turn-lease} not given). */
        public StoreOptions(String url, Optional<Path> passwordFile, boolean migrate) {
            this(url, passwordFile, migrate, Optional.empty());
        }

        /** The database at {@code url}, migrated when opened, its password from the environment if any. */
        public static StoreOptions at(String url) {
            return new StoreOptions(url, Optional.empty(), true);
        }

        /**
         * Whether the URL has a password in it: {@code USER:PASSWORD@} before the host, or a
         * {@code password} parameter. Read without a URI parser, so a URL too malformed to parse
         * is still caught.
         */
        static boolean carriesPassword(String url) {
            int scheme = url.indexOf("//");
            if (scheme >= 0) {
                String rest = url.substring(scheme + 2);
                int end = rest.length();
                for (char c : new char[] {'/', '?', '#'}) {
                    int at = rest.indexOf(c);
                    if (at >= 0 && at < end) {
                        end = at;
                    }
                }
                String authority = rest.substring(0, end);
                int at = authority.lastIndexOf('@');
                if (at >= 0 && authority.substring(0, at).indexOf(':') >= 0) {
                    return true;
                }
            }
            int query = url.indexOf('?');
            if (query >= 0) {
                for (String parameter : url.substring(query + 1).split("[&#]")) {
                    int equals = parameter.indexOf('=');
                    String name = (equals < 0 ? parameter : parameter.substring(0, equals)).strip();
                    if (decodedName(name).equalsIgnoreCase("password")) {
                        return true;
                    }
                }
            }
            return false;
        }

        private static String decodedName(String name) {
            try {
                return java.net.URLDecoder.decode(name, java.nio.charset.StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return name;
            }
        }
    }

    /** What {@code companion store migrate} did: how many migrations it applied, and the tables' version now. */
    public record StoreMigration(int applied, Optional<String> schemaVersion) {

        public StoreMigration {
            Objects.requireNonNull(schemaVersion, "schemaVersion");
            if (applied < 0) {
                throw new IllegalArgumentException("applied must not be negative");
            }
        }
    }

    /**
     * What {@code companion store import} did: conversations copied whole ({@code imported}), those the
     * database had a beginning of and that got the rest ({@code extended}), those already there in full
     * ({@code skipped}), the items copied and the items marked superseded as the journal has them, and
     * the conversations it refused because the database holds other items for them.
     */
    public record StoreImport(int imported, int extended, int skipped, long itemsCopied, long itemsSuperseded,
                              List<RefusedConversation> refused) {

        public StoreImport {
            Objects.requireNonNull(refused, "refused");
            refused = List.copyOf(refused);
            if (imported < 0 || extended < 0 || skipped < 0 || itemsCopied < 0 || itemsSuperseded < 0) {
                throw new IllegalArgumentException("counts must not be negative");
            }
        }
    }

    /** A conversation {@code store import} left as it was, and why, in words fit to print. */
    public record RefusedConversation(ConversationId id, String reason) {

        public RefusedConversation {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * How {@code serve} listens and what it runs. {@code maxRunningTurns} is how many replies may be
     * written at once across all conversations; one more is refused as busy. {@code maxEventStreams}
     * is how many event streams may be open at once (the server's own default when empty); one more
     * is refused with 503.
     */
    public record ServeOptions(String host, int port, ProviderOptions provider, StorageOptions storage,
                               Optional<Path> accessTokenFile, int maxRunningTurns, OptionalInt maxEventStreams) {

        public static final String DEFAULT_HOST = "127.0.0.1";
        public static final int DEFAULT_PORT = 8765;
        /** The runtime's own default: a few conversations answer at once, without one person flooding a provider. */
        public static final int DEFAULT_MAX_RUNNING_TURNS = 4;
        /** Each running turn holds a thread and a provider connection; more than this is a slip, not a plan. */
        public static final int MAX_RUNNING_TURNS = 64;

        public ServeOptions {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(provider, "provider");
            Objects.requireNonNull(storage, "storage");
            Objects.requireNonNull(accessTokenFile, "accessTokenFile");
            if (host.isBlank()) {
                throw new IllegalArgumentException("host must not be blank");
            }
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("port must be 0 to 65535");
            }
            if (maxRunningTurns < 1 || maxRunningTurns > MAX_RUNNING_TURNS) {
                throw new IllegalArgumentException("maxRunningTurns must be 1 to " + MAX_RUNNING_TURNS);
            }
            Objects.requireNonNull(maxEventStreams, "maxEventStreams");
            if (maxEventStreams.isPresent() && maxEventStreams.getAsInt() < 1) {
                throw new IllegalArgumentException("maxEventStreams must be at least 1");
            }
        }

        /** With the server's default limit of open event streams. */
        public ServeOptions(String host, int port, ProviderOptions provider, StorageOptions storage,
                            Optional<Path> accessTokenFile, int maxRunningTurns) {
            this(host, port, provider, storage, accessTokenFile, maxRunningTurns, OptionalInt.empty());
        }

        /** With the default number of turns running at once. */
        public ServeOptions(String host, int port, ProviderOptions provider, StorageOptions storage,
                            Optional<Path> accessTokenFile) {
            this(host, port, provider, storage, accessTokenFile, DEFAULT_MAX_RUNNING_TURNS);
        }
    }

    /**
     * How a client command reaches the Companion: through the server at {@code url}, or, without
     * one, in-process on the given provider and storage. The access token file is for a server that
     * asks for one.
     */
    public record ConnectOptions(Optional<URI> url, ProviderOptions provider, StorageOptions storage,
                                 Optional<Path> accessTokenFile) {

        public ConnectOptions {
            Objects.requireNonNull(url, "url");
            Objects.requireNonNull(provider, "provider");
            Objects.requireNonNull(storage, "storage");
            Objects.requireNonNull(accessTokenFile, "accessTokenFile");
        }

        public boolean remote() {
            return url.isPresent();
        }
    }

    /**
     * The data directory is held by another Companion process, and, when the composition root knows
     * it, the address of the server that holds it. The CLI's hint then names that address for
     * {@code --url} rather than guessing the default port. Only an http(s) address's scheme, host and
     * port are ever shown; a path to the directory never is.
     */
    public static final class DataDirectoryHeldException extends CompanionException {

        private final URI serverUrl; // null when unknown; a URI, unlike an Optional, is serializable

        public DataDirectoryHeldException(Diagnostic diagnostic, Optional<URI> serverUrl, Throwable cause) {
            super(CompanionState.ERROR, requireLocked(diagnostic), cause);
            this.serverUrl = Objects.requireNonNull(serverUrl, "serverUrl").orElse(null);
        }

        public DataDirectoryHeldException(Diagnostic diagnostic, Optional<URI> serverUrl) {
            this(diagnostic, serverUrl, null);
        }

        /** The server holding the directory, e.g. {@code http://127.0.0.1:8765}, when known. */
        public Optional<URI> serverUrl() {
            return Optional.ofNullable(serverUrl);
        }

        private static Diagnostic requireLocked(Diagnostic diagnostic) {
            if (Objects.requireNonNull(diagnostic, "diagnostic").code() != DiagnosticCode.DATA_DIRECTORY_LOCKED) {
                throw new IllegalArgumentException("a held data directory is reported as data_directory_locked");
            }
            return diagnostic;
        }
    }

    /** The exit codes every command uses, as documented in its help and in docs/cli.md. */
    public static final class ExitCodes {
        /** The command did what was asked (for {@code send}: the turn completed). */
        public static final int OK = 0;
        /** The provider failed, or something went wrong inside. */
        public static final int ERROR = 1;
        /** Bad usage or rejected input (empty or too long message, bad option); nothing changed. */
        public static final int USAGE = 2;
        /** Another turn is running, or the provider asked us to slow down. */
        public static final int BUSY = 3;
        /** The turn ran past its time limit. */
        public static final int TIMEOUT = 4;
        /** The turn was cancelled. */
        public static final int CANCELLED = 5;
        /** The server or the shared database cannot be reached, or the address to serve on is taken. */
        public static final int UNAVAILABLE = 6;
        /** The data directory is held by another Companion process. */
        public static final int DATA_DIRECTORY_LOCKED = 7;
        /**
         * The provider ended the reply early: cut at its output token limit, stopped by its content
         * filter, or refused by the model. What arrived is printed and kept; the Companion is ready.
         */
        public static final int ENDED_EARLY = 8;
        /** The shared database's tables are older than this release: {@code companion store migrate}. */
        public static final int STORE_SCHEMA_OUTDATED = 9;

        private ExitCodes() {
        }
    }
}
