package dev.companion.adapter.llm;

import dev.companion.core.port.LanguageModel;
import dev.companion.core.port.LanguageModelContract;
import dev.companion.adapter.llm.FakeProvider.Response;
import dev.companion.adapter.llm.LanguageModels.ApiKey;
import dev.companion.adapter.llm.LanguageModels.ProviderSettings;
import org.junit.jupiter.api.AfterEach;

import java.io.IOException;
import java.util.Optional;

/** The Anthropic model, through its public entry, against the fake replaying a real stream. */
class AnthropicContractTest extends LanguageModelContract {

    private static final String KEY = "sk-ant-contract-" + java.util.UUID.randomUUID();

    private final FakeProvider fake = new FakeProvider()
            .then(Response.stream(FakeProvider.fixture("anthropic/messages-stream.sse")));

    @AfterEach
    void stop() throws IOException {
        fake.close();
    }

    @Override
    protected LanguageModel model() {
        return LanguageModels.create(ProviderSettings.anthropic(fake.baseUrl(""), "claude-sonnet-4-5", ApiKey.of(KEY)));
    }

    @Override
    protected Optional<String> secret() {
        return Optional.of(KEY);
    }
}
