package dev.companion.app;

import dev.companion.adapter.cli.CompanionCommandLine.DataDirectoryHeldException;
import dev.companion.adapter.cli.CompanionCommandLine.StoreImport;
import dev.companion.adapter.cli.CompanionCommandLine.StoreMigration;
import dev.companion.adapter.cli.CompanionCommandLine.StoreOptions;
import dev.companion.core.model.CompanionException;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.store.journal.DataDirectoryLockedException;
import dev.companion.store.journal.JournalConversationCatalog;
import dev.companion.store.postgres.PostgresConversationCatalog;
import dev.companion.store.postgres.PostgresConversationCatalog.Password;
import dev.companion.store.postgres.PostgresConversationCatalog.Settings;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The database several servers share ({@code --store}): how the composition root opens it for a
 * runtime, migrates it, and copies a data directory into it. The password comes from
 * {@code --store-password-file}, else {@code PGPASSWORD} in {@code environment}; it goes to the store
 * and nowhere else. Every failure leaves as a {@link CompanionException} whose message names neither
 * the URL nor a path.
 */
final class SharedStore {

    static final String PASSWORD_VARIABLE = "PGPASSWORD";

    private final Map<String, String> environment;

    SharedStore(Map<String, String> environment) {
        this.environment = Map.copyOf(Objects.requireNonNull(environment, "environment"));
    }

    /** The settings the options name, with the password from the file or the environment. */
    Settings settings(StoreOptions options) {
        Settings settings;
        try {
            settings = Settings.fromUrl(options.url());
        } catch (IllegalArgumentException e) {
            // Settings.fromUrl's messages never repeat the URL.
            throw invalid("--store: " + e.getMessage() + ".");
        }
        return password(options).map(settings::withPassword).orElse(settings);
    }

    private Optional<Password> password(StoreOptions options) {
        if (options.passwordFile().isPresent()) {
            try {
                return Optional.of(Password.fromFile(options.passwordFile().get()));
            } catch (IOException | IllegalArgumentException e) {
                throw invalid("The store password file could not be read, or its first line is empty.");
            }
        }
        String value = environment.get(PASSWORD_VARIABLE);
        return value == null || value.isEmpty() ? Optional.empty() : Optional.of(Password.of(value));
    }

    /**
     * Opens the database for a runtime: migrated first when the options say so (the default), else
     * only checked, so a server refuses to start on tables older than it needs.
     */
    PostgresConversationCatalog open(StoreOptions options) {
        return open(settings(options), options.migrate());
    }

    /** {@code companion store migrate}. */
    StoreMigration migrate(StoreOptions options) {
        try (PostgresConversationCatalog catalog = PostgresConversationCatalog.open(settings(options))) {
            PostgresConversationCatalog.Migration migration = catalog.migrate();
            return new StoreMigration(migration.applied(), migration.schemaVersion());
        }
    }

    /**
     * {@code companion store import}: the data directory's conversations into the database. The
     * directory must hold conversations already (it is not created), and its lock is held while it is read.
     */
    StoreImport importJournal(Path dataDir, StoreOptions options) {
        if (!JournalConversationCatalog.holdsConversations(dataDir)) {
            throw invalid("--from names no Companion data directory: it holds no conversations to import.");
        }
        Settings settings = settings(options);
        JournalConversationCatalog journal;
        try {
            journal = JournalConversationCatalog.open(dataDir, JournalConversationCatalog.Options.defaults());
        } catch (DataDirectoryLockedException e) {
            throw new DataDirectoryHeldException(e.diagnostic(), ServerAddressFile.read(dataDir), e);
        }
        try (journal; PostgresConversationCatalog database = open(settings, options.migrate())) {
            return new ConversationCopy(journal, database, database::appendAll).run();
        }
    }

    private static PostgresConversationCatalog open(Settings settings, boolean migrate) {
        PostgresConversationCatalog catalog = PostgresConversationCatalog.open(settings);
        try {
            if (migrate) {
                catalog.migrate();
            } else {
                catalog.requireMigrated();
            }
            return catalog;
        } catch (RuntimeException e) {
            catalog.close();
            throw e;
        }
    }

    private static CompanionException invalid(String message) {
        return new CompanionException(CompanionState.REJECTED, Diagnostic.error(DiagnosticCode.INVALID_PARAMETER, message));
    }
}
