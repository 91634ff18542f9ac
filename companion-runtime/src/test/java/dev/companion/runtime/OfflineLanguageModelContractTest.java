package dev.companion.runtime;

import dev.companion.core.port.LanguageModel;
import dev.companion.core.port.LanguageModelContract;
import dev.companion.prompts.ClasspathPromptCatalog;

import java.time.Duration;

/** The offline model keeps the same contract as every provider. */
class OfflineLanguageModelContractTest extends LanguageModelContract {

    @Override
    protected LanguageModel model() {
        return new OfflineLanguageModel(new ClasspathPromptCatalog(), Duration.ofMillis(1));
    }
}
