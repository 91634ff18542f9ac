package dev.companion.adapter.cli;

import dev.companion.adapter.cli.CompanionCommandLine.ConnectOptions;
import dev.companion.adapter.cli.CompanionCommandLine.ProviderChoice;
import dev.companion.adapter.cli.CompanionCommandLine.ProviderOptions;
import dev.companion.adapter.cli.CompanionCommandLine.Session;
import dev.companion.adapter.cli.CompanionCommandLine.StorageOptions;
import dev.companion.adapter.cli.CompanionCommandLine.StoreOptions;
import dev.companion.adapter.cli.CompanionCommandLine.TimeLimits;
import dev.companion.core.Companion;
import dev.companion.core.model.ConversationId;
import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;

/** The options several commands share, as picocli mixins. */
final class Options {

    private Options() {
    }

    /** Which model writes replies. A key is named by its variable or file, never given itself. */
    static final class Provider {

        @Option(names = "--provider", paramLabel = "NAME", defaultValue = "auto",
                converter = ProviderConverter.class, completionCandidates = ProviderNames.class,
                description = "Who writes the replies: ${COMPLETION-CANDIDATES}. "
                        + "auto (the default) uses a configured provider, else the offline model.")
        ProviderChoice provider = ProviderChoice.AUTO;

        @Option(names = "--model", paramLabel = "NAME", description = "The provider's model name.")
        String model;

        @Option(names = "--base-url", paramLabel = "URL",
                description = "The provider's API address (for Ollama, llama.cpp, vLLM, LM Studio, …).")
        URI baseUrl;

        @Option(names = "--api-key-env", paramLabel = "NAME",
                description = "The environment variable that holds the API key (the key never goes on the command line).")
        String apiKeyEnv;

        @Option(names = "--api-key-file", paramLabel = "FILE", description = "A file that holds the API key.")
        Path apiKeyFile;

        @Option(names = "--connect-timeout", paramLabel = "SECONDS",
                description = "Time limit to connect to a live provider (default 10).")
        Integer connectTimeout;

        @Option(names = "--first-token-timeout", paramLabel = "SECONDS",
                description = "Time limit from the request to the reply's first text (default 60; raise it for "
                        + "a local model that loads slowly).")
        Integer firstTokenTimeout;

        @Option(names = "--idle-timeout", paramLabel = "SECONDS",
                description = "Time limit between two pieces of a reply (default 30).")
        Integer idleTimeout;

        @Option(names = "--total-timeout", paramLabel = "SECONDS",
                description = "Time limit for a whole reply, retries included (default 300).")
        Integer totalTimeout;

        @Option(names = "--max-output-tokens", paramLabel = "N",
                description = "The most tokens a reply may use, reasoning included (1 to 1000000; default: "
                        + "8192 for Anthropic, the server's own limit for OpenAI-compatible ones).")
        Integer maxOutputTokens;

        ProviderOptions options(CommandLine commandLine) {
            // Someone may paste a key here by mistake: say what is wrong without echoing the value.
            if (apiKeyEnv != null && !apiKeyEnv.matches("[A-Za-z_][A-Za-z0-9_]{0,127}")) {
                throw new ParameterException(commandLine, "--api-key-env takes the NAME of an environment "
                        + "variable (letters, digits and _), not the key itself");
            }
            if (apiKeyEnv != null && apiKeyFile != null) {
                throw new ParameterException(commandLine, "give --api-key-env or --api-key-file, not both");
            }
            if (baseUrl != null) {
                requireHttp(commandLine, "--base-url", baseUrl);
            }
            return new ProviderOptions(provider, Optional.ofNullable(model), Optional.ofNullable(baseUrl),
                    Optional.ofNullable(apiKeyEnv), Optional.ofNullable(apiKeyFile), new TimeLimits(
                    seconds(commandLine, "--connect-timeout", connectTimeout),
                    seconds(commandLine, "--first-token-timeout", firstTokenTimeout),
                    seconds(commandLine, "--idle-timeout", idleTimeout),
                    seconds(commandLine, "--total-timeout", totalTimeout)), maxOutputTokens(commandLine));
        }

        private OptionalInt maxOutputTokens(CommandLine commandLine) {
            if (maxOutputTokens == null) {
                return OptionalInt.empty();
            }
            if (maxOutputTokens < 1 || maxOutputTokens > ProviderOptions.MAX_OUTPUT_TOKENS) {
                throw new ParameterException(commandLine, "--max-output-tokens takes a whole number of tokens from 1 to "
                        + ProviderOptions.MAX_OUTPUT_TOKENS);
            }
            return OptionalInt.of(maxOutputTokens);
        }

        private static Optional<Duration> seconds(CommandLine commandLine, String option, Integer value) {
            if (value == null) {
                return Optional.empty();
            }
            if (value < 1 || value > 86_400) {
                throw new ParameterException(commandLine, option + " takes a whole number of seconds from 1 to 86400");
            }
            return Optional.of(Duration.ofSeconds(value));
        }
    }

    /** Where transcripts are kept. */
    static final class Storage {

        @Option(names = "--data-dir", paramLabel = "DIR",
                description = "Where transcripts are kept (default: the Companion's data directory in your home).")
        Path dataDir;

        @Option(names = "--ephemeral", description = "Keep the transcript in memory only; it is gone when the process ends.")
        boolean ephemeral;

        @CommandLine.Mixin
        Store store = new Store();

        @Option(names = "--no-migrate", description = "With --store: do not bring the database's tables up to this "
                + "release at start, only check that they are (then run 'companion store migrate' yourself).")
        boolean noMigrate;

        StorageOptions options(CommandLine commandLine) {
            if (ephemeral && dataDir != null) {
                throw new ParameterException(commandLine, "give --data-dir or --ephemeral, not both");
            }
            Optional<StoreOptions> shared = store.options(commandLine, !noMigrate);
            if (shared.isPresent() && (ephemeral || dataDir != null)) {
                throw new ParameterException(commandLine, "give --store or " + (ephemeral ? "--ephemeral" : "--data-dir")
                        + ", not both: a Companion keeps its conversations in one place");
            }
            if (shared.isEmpty() && noMigrate) {
                throw new ParameterException(commandLine, "--no-migrate applies to a database given with --store");
            }
            return new StorageOptions(Optional.ofNullable(dataDir), ephemeral, shared);
        }

        /** The options that name an in-process store, for refusing them next to --url. */
        static final String[] NAMES = {"--store", "--store-password-file", "--no-migrate", "--turn-lease"};
    }

    /**
     * {@code --store URL}: a database shared by several servers instead of the data directory. Its
     * password never goes on the command line: {@code PGPASSWORD}, or {@code --store-password-file}.
     */
    static final class Store {

        @Option(names = "--store", paramLabel = "URL",
                description = "Keep the conversations in a PostgreSQL database that several servers can share, "
                        + "e.g. postgresql://HOST:5432/DB?user=USER, instead of the data directory. "
                        + "The password comes from PGPASSWORD or --store-password-file, never from the URL.")
        String url;

        @Option(names = "--store-password-file", paramLabel = "FILE",
                description = "A file whose first line is the database password (instead of PGPASSWORD).")
        Path passwordFile;

        @Option(names = "--turn-lease", paramLabel = "DURATION",
                description = "With --store: how long a server's claim on a running reply lasts unless renewed "
                        + "(e.g. 15s, the default): a server that dies mid-reply leaves the conversation to the "
                        + "others within about this long.")
        String turnLease;

        /** The store asked for, if any; a URL with a password in it is refused without being repeated. */
        Optional<StoreOptions> options(CommandLine commandLine, boolean migrate) {
            if (url == null) {
                if (passwordFile != null) {
                    throw new ParameterException(commandLine, "--store-password-file applies to a database given with --store");
                }
                if (turnLease != null) {
                    throw new ParameterException(commandLine, "--turn-lease applies to a database given with --store");
                }
                return Optional.empty();
            }
            Optional<java.time.Duration> lease = Optional.empty();
            if (turnLease != null) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,6})(ms|s|m)").matcher(turnLease.strip());
                if (!m.matches()) {
                    throw new ParameterException(commandLine, "--turn-lease is a duration such as 15s, 2500ms or 1m");
                }
                long amount = Long.parseLong(m.group(1));
                java.time.Duration value = switch (m.group(2)) {
                    case "ms" -> java.time.Duration.ofMillis(amount);
                    case "s" -> java.time.Duration.ofSeconds(amount);
                    default -> java.time.Duration.ofMinutes(amount);
                };
                if (value.compareTo(java.time.Duration.ofSeconds(1)) < 0 || value.compareTo(java.time.Duration.ofHours(1)) > 0) {
                    throw new ParameterException(commandLine, "--turn-lease is between 1s and 60m");
                }
                lease = Optional.of(value);
            }
            try {
                return Optional.of(new StoreOptions(url.strip(), Optional.ofNullable(passwordFile), migrate, lease));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(commandLine, "--store: " + e.getMessage());
            }
        }

        /** As {@link #options}, for a command that needs a database. */
        StoreOptions required(CommandLine commandLine, boolean migrate) {
            return options(commandLine, migrate).orElseThrow(() -> new ParameterException(commandLine,
                    "name the database with --store postgresql://HOST:5432/DB?user=USER"));
        }
    }

    /** How a client command reaches the Companion. */
    static final class Connect {

        @Option(names = "--url", paramLabel = "URL",
                description = "Talk to the server at URL (e.g. http://127.0.0.1:8765) instead of starting "
                        + "the Companion in this process.")
        URI url;

        @Option(names = "--access-token-file", paramLabel = "FILE",
                description = "A file holding the access token of a server that asks for one.")
        Path accessTokenFile;

        @CommandLine.Mixin
        Provider provider = new Provider();

        @CommandLine.Mixin
        Storage storage = new Storage();

        ConnectOptions options(CommandLine commandLine) {
            if (url != null) {
                requireHttp(commandLine, "--url", url);
                // The server chose its provider and storage when it started; silently ignoring these
                // would let someone believe they took effect.
                for (String local : new String[] {"--provider", "--model", "--base-url", "--api-key-env",
                        "--api-key-file", "--connect-timeout", "--first-token-timeout", "--idle-timeout",
                        "--total-timeout", "--max-output-tokens", "--data-dir", "--ephemeral"}) {
                    if (commandLine.getParseResult().hasMatchedOption(local)) {
                        throw new ParameterException(commandLine, local + " applies to the in-process Companion; "
                                + "the server at --url uses its own settings");
                    }
                }
                for (String local : Storage.NAMES) {
                    if (commandLine.getParseResult().hasMatchedOption(local)) {
                        throw new ParameterException(commandLine, local + " applies to the in-process Companion; "
                                + "the server at --url uses its own store");
                    }
                }
            }
            return new ConnectOptions(Optional.ofNullable(url), provider.options(commandLine),
                    storage.options(commandLine), Optional.ofNullable(accessTokenFile));
        }
    }

    /** {@code --conversation ID}: which conversation a command drives; the default one when not given. */
    static final class ConversationChoice {

        @Option(names = "--conversation", paramLabel = "ID",
                description = "The conversation to use ('companion conversations' lists them). "
                        + "Default: the default conversation, the one every earlier release had.")
        String value;

        /**
         * The id asked for, checked before anything starts: a malformed one is rejected
         * ({@code invalid_parameter}, exit code 2) and nothing is opened.
         */
        Optional<ConversationId> requested() {
            return Optional.ofNullable(value).map(ConversationId::parse);
        }

        /**
         * The conversation to drive in {@code session}: the default through {@code companion()}, so a
         * command without the option talks to exactly what it always did (over HTTP, {@code /api/companion}).
         *
         * @throws dev.companion.core.model.ConversationNotFoundException for an id with no conversation
         */
        static Companion open(Session session, Optional<ConversationId> id) {
            return id.isEmpty() ? session.companion() : session.conversations().open(id.get());
        }
    }

    /** {@code --show-reasoning}: the model's reasoning as it streams, apart from the reply. */
    static final class Reasoning {
        @Option(names = "--show-reasoning", description = "Show the model's reasoning as it streams, faint "
                + "(or each line starting 'thinking: ' without colour), then how long it thought, before the reply.")
        boolean show;
    }

    /** {@code --json}: one JSON object on standard output instead of text. */
    static final class JsonFlag {
        @Option(names = "--json", description = "Print one JSON object (snake_case) instead of text.")
        boolean json;
    }

    static void requireHttp(CommandLine commandLine, String option, URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw new ParameterException(commandLine, option + " needs an http:// or https:// address with a host");
        }
    }

    static final class ProviderConverter implements ITypeConverter<ProviderChoice> {
        @Override
        public ProviderChoice convert(String value) {
            for (ProviderChoice choice : ProviderChoice.values()) {
                if (choice.wireName().equalsIgnoreCase(value)) {
                    return choice;
                }
            }
            throw new TypeConversionException("expected one of " + String.join(", ", new ProviderNames()));
        }
    }

    static final class ProviderNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(ProviderChoice.values()).map(ProviderChoice::wireName).iterator();
        }
    }
}
