package dev.companion.runtime;

import dev.companion.core.SendMessageCommand;
import dev.companion.core.SendResult;
import dev.companion.core.model.ConversationId;
import dev.companion.core.port.ConversationCatalog;
import dev.companion.core.port.StoredConversation;
import dev.companion.core.port.TranscriptStore;
import dev.companion.prompts.ClasspathPromptCatalog;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Several servers on one shared catalogue start at once: each looks for the default conversation,
 * and another may create it between the look and this one's create. The runtime then uses theirs.
 */
class SharedCatalogStartTest {

    /** A catalogue in which another server creates the default conversation just after this one looked. */
    static final class RacedCatalog implements ConversationCatalog {
        private final InMemoryConversationCatalog shared = new InMemoryConversationCatalog();
        private boolean raced;

        @Override
        public synchronized Optional<StoredConversation> find(ConversationId id) {
            Optional<StoredConversation> found = shared.find(id);
            if (!raced && id.equals(ConversationId.DEFAULT) && found.isEmpty()) {
                raced = true;
                shared.create(id, Optional.of("made by the other server"), Instant.EPOCH);
            }
            return found;
        }

        @Override
        public List<StoredConversation> conversations() {
            return shared.conversations();
        }

        @Override
        public StoredConversation create(ConversationId id, Optional<String> title, Instant createdAt) {
            return shared.create(id, title, createdAt);
        }

        @Override
        public StoredConversation retitle(ConversationId id, String title) {
            return shared.retitle(id, title);
        }

        @Override
        public void delete(ConversationId id) {
            shared.delete(id);
        }

        @Override
        public TranscriptStore transcript(ConversationId id) {
            return shared.transcript(id);
        }

        @Override
        public void close() {
            shared.close();
        }
    }

    @Test
    void a_default_conversation_another_server_created_meanwhile_is_used_not_a_failure() throws Exception {
        RacedCatalog catalog = new RacedCatalog();
        try (CompanionRuntime runtime = CompanionRuntime.builder().prompts(new ClasspathPromptCatalog())
                .model(new OfflineLanguageModel(new ClasspathPromptCatalog(), Duration.ZERO))
                .catalog(catalog).build()) {
            assertThat(catalog.raced).isTrue();

            SendResult sent = runtime.companion().send(SendMessageCommand.of("hello"));

            assertThat(sent).isInstanceOf(SendResult.Accepted.class);
            assertThat(runtime.conversations().open(ConversationId.DEFAULT).status().state()).isNotNull();
            assertThat(catalog.conversations()).extracting(StoredConversation::title)
                    .containsExactly(Optional.of("made by the other server"));
        }
    }
}
