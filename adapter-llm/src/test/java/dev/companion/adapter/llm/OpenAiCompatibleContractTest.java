package dev.companion.adapter.llm;

import dev.companion.core.port.LanguageModel;
import dev.companion.core.port.LanguageModelContract;
import dev.companion.adapter.llm.FakeProvider.Response;
import dev.companion.adapter.llm.LanguageModels.ApiKey;
import dev.companion.adapter.llm.LanguageModels.ProviderSettings;
import org.junit.jupiter.api.AfterEach;

import java.io.IOException;
import java.util.Optional;

/** The OpenAI-compatible model, through its public entry, against the fake replaying a real stream. */
class OpenAiCompatibleContractTest extends LanguageModelContract {

    private static final String KEY = "sk-contract-" + java.util.UUID.randomUUID();

    private final FakeProvider fake = new FakeProvider()
            .then(Response.stream(FakeProvider.fixture("openai/chat-stream.sse")));

    @AfterEach
    void stop() throws IOException {
        fake.close();
    }

    @Override
    protected LanguageModel model() {
        return LanguageModels.create(ProviderSettings.openAi(fake.baseUrl("/v1"), "gpt-4o-mini", Optional.of(ApiKey.of(KEY))));
    }

    @Override
    protected Optional<String> secret() {
        return Optional.of(KEY);
    }
}
