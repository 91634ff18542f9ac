package dev.companion.runtime;

import dev.companion.core.port.ConversationCatalog;
import dev.companion.core.port.ConversationCatalogContract;

class InMemoryConversationCatalogContractTest extends ConversationCatalogContract {

    @Override
    protected ConversationCatalog createCatalog() {
        return new InMemoryConversationCatalog();
    }
}
