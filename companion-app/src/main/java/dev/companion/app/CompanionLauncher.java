package dev.companion.app;

import dev.companion.adapter.cli.CompanionCommandLine.ConnectOptions;
import dev.companion.adapter.cli.CompanionCommandLine.Launcher;
import dev.companion.adapter.cli.CompanionCommandLine.ProviderOptions;
import dev.companion.adapter.cli.CompanionCommandLine.RunningServer;
import dev.companion.adapter.cli.CompanionCommandLine.ServeOptions;
import dev.companion.adapter.cli.CompanionCommandLine.Session;
import dev.companion.adapter.cli.CompanionCommandLine.StorageOptions;
import dev.companion.adapter.cli.CompanionCommandLine.StoreImport;
import dev.companion.adapter.cli.CompanionCommandLine.StoreMigration;
import dev.companion.adapter.cli.CompanionCommandLine.StoreOptions;
import dev.companion.adapter.http.CompanionHttpServer;
import dev.companion.core.Companion;
import dev.companion.core.ListWorkersUseCase;
import dev.companion.core.model.CompanionException;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.CompanionStatus;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.port.PromptCatalog;
import dev.companion.adapter.cli.CompanionCommandLine.DataDirectoryHeldException;
import dev.companion.core.Conversations;
import dev.companion.core.port.ConversationCatalog;
import dev.companion.runtime.CompanionRuntime;
import dev.companion.runtime.InMemoryConversationCatalog;
import dev.companion.store.journal.DataDirectoryLockedException;
import dev.companion.store.journal.JournalConversationCatalog;
import dev.companion.store.postgres.PostgresConversationCatalog;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * Wires the product for each command: the runtime on the chosen model and store, and for
 * {@code serve} the HTTP server with the console in front of it.
 */
final class CompanionLauncher implements Launcher {

    private final PromptCatalog prompts;
    private final ModelSelection models;
    private final Storage storage;
    private final SharedStore shared;

    /** With no {@code PGPASSWORD}: a {@code --store} database's password then comes from its file only. */
    CompanionLauncher(PromptCatalog prompts, ModelSelection models, Storage storage) {
        this(prompts, models, storage, new SharedStore(Map.of()));
    }

    CompanionLauncher(PromptCatalog prompts, ModelSelection models, Storage storage, SharedStore shared) {
        this.prompts = prompts;
        this.models = models;
        this.storage = storage;
        this.shared = shared;
    }

    @Override
    public Session open(ConnectOptions options) {
        if (options.remote()) {
            URI base = options.url().get();
            Optional<String> token = readToken(options.accessTokenFile());
            return new RemoteSession(CompanionHttpServer.client(base, token),
                    CompanionHttpServer.conversationsClient(base, token), CompanionHttpServer.workersClient(base, token),
                    storage.historyFile(Optional.empty()));
        }
        // One command in this process writes one reply at a time: the runtime's default cap is plenty.
        CompanionRuntime runtime = runtime(options.provider(), options.storage(), CompanionRuntime.DEFAULT_MAX_RUNNING_TURNS);
        return new LocalSession(runtime, storage.historyFile(Optional.of(options.storage())));
    }

    @Override
    public RunningServer serve(ServeOptions options) {
        Optional<String> token = readToken(options.accessTokenFile());
        CompanionRuntime runtime = runtime(options.provider(), options.storage(), options.maxRunningTurns());
        CompanionHttpServer server;
        try {
            CompanionHttpServer.Builder builder = CompanionHttpServer.builder()
                    .conversations(runtime.conversations())
                    .workers(runtime)
                    .host(options.host())
                    .port(options.port())
                    .accessToken(token)
                    .console(CompanionLauncher.class.getClassLoader(), "console/")
                    .sendingThreads(runtime.sendingThreads())
                    // On the embedded stores a status is memory alone, once the default conversation
                    // is open (opened here, before the first request); on a shared database it is not.
                    .statusFromMemory(options.storage().store().isEmpty());
            runtime.companion();
            options.maxEventStreams().ifPresent(builder::maxEventStreams);
            server = builder.build();
            server.start();
            storage.announce(options.storage(), server.baseUri());
        } catch (IllegalArgumentException e) {
            runtime.close();
            throw new CompanionException(CompanionState.REJECTED,
                    Diagnostic.error(DiagnosticCode.INVALID_PARAMETER, e.getMessage()));
        } catch (RuntimeException e) {
            runtime.close();
            throw e;
        }
        return new ServingCompanion(runtime, server, () -> storage.withdraw(options.storage(), server.baseUri()));
    }

    @Override
    public StoreMigration migrate(StoreOptions store) {
        return shared.migrate(store);
    }

    @Override
    public StoreImport importJournal(Path dataDir, StoreOptions store) {
        return shared.importJournal(dataDir, store);
    }

    private CompanionRuntime runtime(ProviderOptions provider, StorageOptions storageOptions, int maxRunningTurns) {
        ConversationCatalog catalog;
        try {
            catalog = storageOptions.store().isPresent()
                    ? shared.open(storageOptions.store().get())
                    : storage.open(storageOptions);
        } catch (DataDirectoryLockedException e) {
            // Name the server that holds the directory, so the hint's --url is one that answers.
            throw new DataDirectoryHeldException(e.diagnostic(), storage.holder(storageOptions), e);
        }
        try {
            CompanionRuntime.Builder builder = CompanionRuntime.builder()
                    .prompts(prompts)
                    .model(models.select(provider))
                    .turnTimeout(ModelSelection.turnTimeout(provider))
                    .catalog(catalog)
                    .maxRunningTurns(maxRunningTurns);
            if (catalog instanceof PostgresConversationCatalog database) {
                // Servers sharing the database decide a conversation's turn there, not each in its memory.
                builder.turnLeases(database.turnLeases(storageOptions.store().orElseThrow().turnLease()
                        .orElse(PostgresConversationCatalog.DEFAULT_TURN_LEASE)))
                        .sharedEvents(database.sharedEvents());
            }
            return builder.build();
        } catch (RuntimeException e) {
            catalog.close();
            throw e;
        }
    }

    private static Optional<String> readToken(Optional<Path> tokenFile) {
        if (tokenFile.isEmpty()) {
            return Optional.empty();
        }
        try {
            String text = Files.readString(tokenFile.get(), StandardCharsets.UTF_8).strip();
            if (text.isEmpty() || text.contains("\n")) {
                throw new IOException("not one token");
            }
            return Optional.of(text);
        } catch (IOException e) {
            throw new CompanionException(CompanionState.REJECTED, Diagnostic.error(DiagnosticCode.INVALID_PARAMETER,
                    "The access token file could not be read, or does not hold exactly one token."));
        }
    }

    /** Where conversations are kept for the storage options given, and what else lives beside them. */
    interface Storage {
        ConversationCatalog open(StorageOptions options);

        /** The data directory of these options; empty for memory only. */
        Optional<Path> directory(StorageOptions options);

        /** Where chat keeps its typed lines: beside the conversations, or the default directory for a remote. */
        Optional<Path> historyFile(Optional<StorageOptions> options);

        /** Records, beside the lock, the address of the server that now holds the directory. */
        default void announce(StorageOptions options, URI server) {
            directory(options).ifPresent(dir -> ServerAddressFile.write(dir, server));
        }

        /** Removes the record {@link #announce} wrote, if it still names this server. */
        default void withdraw(StorageOptions options, URI server) {
            directory(options).ifPresent(dir -> ServerAddressFile.remove(dir, server));
        }

        /** The address of the server holding the directory, as it recorded it, if it did. */
        default Optional<URI> holder(StorageOptions options) {
            return directory(options).flatMap(ServerAddressFile::read);
        }

        /** Every conversation in memory: gone when the process ends. */
        static Storage inMemory() {
            return new Storage() {
                @Override
                public ConversationCatalog open(StorageOptions options) {
                    return new InMemoryConversationCatalog();
                }

                @Override
                public Optional<Path> directory(StorageOptions options) {
                    return Optional.empty();
                }

                @Override
                public Optional<Path> historyFile(Optional<StorageOptions> options) {
                    return Optional.empty();
                }
            };
        }

        /**
         * Journals in the data directory ({@code --data-dir}, else {@code defaultDirectory}), or
         * memory for {@code --ephemeral}.
         */
        static Storage journal(Path defaultDirectory) {
            return new Storage() {
                @Override
                public ConversationCatalog open(StorageOptions options) {
                    return options.ephemeral()
                            ? new InMemoryConversationCatalog()
                            : JournalConversationCatalog.open(options.dataDir().orElse(defaultDirectory),
                                    JournalConversationCatalog.Options.defaults());
                }

                @Override
                public Optional<Path> directory(StorageOptions options) {
                    // A shared database is no directory: a server on it holds none, and announces itself in none.
                    return options.ephemeral() || options.store().isPresent()
                            ? Optional.empty() : Optional.of(options.dataDir().orElse(defaultDirectory));
                }

                @Override
                public Optional<Path> historyFile(Optional<StorageOptions> options) {
                    if (options.isPresent() && options.get().ephemeral()) {
                        return Optional.empty();
                    }
                    Path dir = options.flatMap(StorageOptions::dataDir).orElse(defaultDirectory);
                    return Optional.of(dir.resolve("chat-history"));
                }
            };
        }

        /** {@code $XDG_DATA_HOME/companion}, else {@code ~/.local/share/companion}. */
        static Path defaultDirectory(Map<String, String> environment, String userHome) {
            String xdg = environment.get("XDG_DATA_HOME");
            Path base = xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()
                    ? Path.of(xdg)
                    : Path.of(userHome, ".local", "share");
            return base.resolve("companion");
        }
    }

    /** A runtime started in this process for one command. */
    private record LocalSession(CompanionRuntime runtime, Optional<Path> chatHistoryFile) implements Session {
        @Override
        public Companion companion() {
            return runtime.companion();
        }

        @Override
        public Conversations conversations() {
            return runtime.conversations();
        }

        @Override
        public ListWorkersUseCase workers() {
            return runtime;
        }

        @Override
        public void close() {
            runtime.close();
        }
    }

    /** A Companion on another server, driven over its HTTP API through the same ports. */
    private record RemoteSession(Companion companion, Conversations conversations, ListWorkersUseCase workers,
                                 Optional<Path> chatHistoryFile) implements Session {
        @Override
        public void close() {
            // Nothing to stop: the server runs on; open event subscriptions are closed by their users.
        }
    }

    /** The runtime and the HTTP server in front of it, until a shutdown (Ctrl-C, SIGTERM) stops both. */
    private static final class ServingCompanion implements RunningServer {
        private final CompanionRuntime runtime;
        private final CompanionHttpServer server;
        private final CountDownLatch stopped = new CountDownLatch(1);
        private final Thread shutdownHook;
        private final Runnable withdraw;

        ServingCompanion(CompanionRuntime runtime, CompanionHttpServer server, Runnable withdraw) {
            this.runtime = runtime;
            this.server = server;
            this.withdraw = withdraw;
            this.shutdownHook = new Thread(this::stop, "companion-shutdown");
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }

        @Override
        public URI consoleUri() {
            return server.baseUri().resolve("/console");
        }

        @Override
        public CompanionStatus status() {
            return runtime.companion().status();
        }

        @Override
        public void awaitShutdown() throws InterruptedException {
            stopped.await();
        }

        @Override
        public void close() {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // Already shutting down: the hook is doing this.
            }
            stop();
        }

        private synchronized void stop() {
            if (stopped.getCount() == 0) {
                return;
            }
            // The server stops taking requests first; then the runtime keeps any partial reply as interrupted.
            server.close();
            withdraw.run();
            runtime.close();
            stopped.countDown();
        }
    }
}
