package dev.companion.store.postgres;

import dev.companion.core.port.ConversationCatalog;
import dev.companion.core.port.ConversationCatalogContract;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.SQLException;
import java.util.Optional;

/** The catalogue contract on a real PostgreSQL; reopening is a new catalogue on the same database. */
class PostgresConversationCatalogContractTest extends ConversationCatalogContract {

    @RegisterExtension
    static final PostgresDatabase DATABASE = PostgresDatabase.migrated();

    @Override
    protected ConversationCatalog createCatalog() {
        try {
            DATABASE.execute("TRUNCATE conversations, items, reply_progress, turn_leases");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return PostgresConversationCatalog.open(DATABASE.settings());
    }

    @Override
    protected Optional<ConversationCatalog> reopenCatalog() {
        return Optional.of(PostgresConversationCatalog.open(DATABASE.settings()));
    }
}
