package dev.companion.core.port;

import dev.companion.core.model.ProviderInfo;

import java.util.List;
import java.util.Optional;

/** The contract holds for the simplest honest model, so a failure elsewhere is the model's. */
class ScriptedLanguageModelContractTest extends LanguageModelContract {

    @Override
    protected LanguageModel model() {
        return new LanguageModel() {
            @Override
            public ProviderInfo provider() {
                return new ProviderInfo("scripted", "words", false, Optional.empty(), Optional.empty());
            }

            @Override
            public ModelResult stream(ModelRequest request, TextSink sink, CancellationSignal cancellation) {
                for (String word : List.of("one ", "two ", "three")) {
                    if (cancellation.isCancelled()) {
                        return ModelResult.finished("cancelled");
                    }
                    sink.accept(word);
                }
                return ModelResult.finished("end_turn");
            }
        };
    }
}
