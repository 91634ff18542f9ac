package dev.companion.example;

import dev.companion.core.ConversationQuery;
import dev.companion.core.Conversations;
import dev.companion.core.CreateConversationCommand;
import dev.companion.runtime.InMemoryConversationCatalog;

import dev.companion.core.CancelCommand;
import dev.companion.core.Companion;
import dev.companion.core.SendMessageCommand;
import dev.companion.core.SendResult;
import dev.companion.core.event.CompanionEvent;
import dev.companion.core.event.Subscription;
import dev.companion.core.model.TranscriptQuery;
import dev.companion.core.model.TurnOutcome;
import dev.companion.prompts.ClasspathPromptCatalog;
import dev.companion.runtime.CompanionRuntime;
import dev.companion.runtime.InMemoryTranscriptStore;
import dev.companion.runtime.OfflineLanguageModel;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's embedding example, kept honest: this test lives outside the runtime's package and
 * uses only the public API a host application sees.
 */
class EmbeddingTest {

    @Test
    void a_host_application_builds_a_runtime_sends_observes_and_cancels() throws Exception {
        var prompts = new ClasspathPromptCatalog();
        try (CompanionRuntime runtime = CompanionRuntime.builder()
                .prompts(prompts)
                .model(new OfflineLanguageModel(prompts))   // or a provider from adapter-llm
                .store(new InMemoryTranscriptStore())        // or a journal for durable transcripts
                .turnTimeout(Duration.ofMinutes(2))
                .build()) {
            Companion companion = runtime.companion();

            List<String> deltas = new CopyOnWriteArrayList<>();
            try (Subscription events = companion.subscribe(companion.latestCursor(), event -> {
                if (event instanceof CompanionEvent.TextDelta delta) {
                    deltas.add(delta.text());
                }
            })) {
                SendResult result = companion.send(SendMessageCommand.of("Hello, Companion"));
                if (!(result instanceof SendResult.Accepted accepted)) {
                    throw new AssertionError("expected the message to be accepted: " + result);
                }
                TurnOutcome outcome = companion.awaitTurn(accepted.turn().id(), Duration.ofSeconds(30)).orElseThrow();

                assertThat(outcome).isInstanceOf(TurnOutcome.Completed.class);
                assertThat(String.join("", deltas)).isEqualTo(outcome.reply().orElseThrow().content());
            }
            assertThat(companion.transcript(TranscriptQuery.newest()).items()).hasSize(2);
            assertThat(companion.cancel(CancelCommand.running()).diagnostic().code().wireName()).isEqualTo("not_running");
            assertThat(runtime.workers()).extracting(w -> w.id()).containsExactly("companion");
        }
    }

    @Test
    void a_host_application_keeps_two_conversations_apart() throws Exception {
        var prompts = new ClasspathPromptCatalog();
        try (CompanionRuntime runtime = CompanionRuntime.builder()
                .prompts(prompts)
                .catalog(new InMemoryConversationCatalog())  // or a journal catalogue (store-journal)
                .maxRunningTurns(4)
                .build()) {
            Conversations conversations = runtime.conversations();
            Companion trip = conversations.open(conversations.create(CreateConversationCommand.titled("Trip")).id());
            Companion recipes = conversations.open(conversations.create(CreateConversationCommand.untitled()).id());

            var toTrip = (SendResult.Accepted) trip.send(SendMessageCommand.of("Where should I stay in Kyoto?"));
            var toRecipes = (SendResult.Accepted) recipes.send(SendMessageCommand.of("Miso soup, please"));
            trip.awaitTurn(toTrip.turn().id(), Duration.ofSeconds(30)).orElseThrow();
            recipes.awaitTurn(toRecipes.turn().id(), Duration.ofSeconds(30)).orElseThrow();

            assertThat(trip.transcript(TranscriptQuery.newest()).items()).first()
                    .satisfies(item -> assertThat(item.content()).isEqualTo("Where should I stay in Kyoto?"));
            assertThat(recipes.transcript(TranscriptQuery.newest()).items()).first()
                    .satisfies(item -> assertThat(item.content()).isEqualTo("Miso soup, please"));
            assertThat(conversations.get(recipes.conversationId()).orElseThrow().title()).contains("Miso soup, please");
            assertThat(conversations.list(ConversationQuery.newest()).conversations()).hasSize(3); // and the default
            assertThat(recipes.regenerate()).isInstanceOf(SendResult.Accepted.class);
            assertThat(conversations.list(ConversationQuery.matching("kyoto")).conversations())
                    .extracting(c -> c.id()).containsExactly(trip.conversationId());
        }
    }
}
