package dev.companion.adapter.cli;

import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ProviderInfo;
import dev.companion.core.model.TokenUsage;
import dev.companion.core.port.CancellationSignal;
import dev.companion.core.port.LanguageModel;
import dev.companion.core.port.ModelRequest;
import dev.companion.core.port.ModelResult;
import dev.companion.core.port.TextSink;

import java.util.List;
import java.util.Optional;

/**
 * A live-looking model that answers every turn the same way: some reasoning, then the reply's
 * pieces, then the ending it was given (completed, or ended early by the provider) with a usage.
 */
final class ScriptedModel implements LanguageModel {

    static final TokenUsage USAGE = new TokenUsage(28, 12, 5);

    volatile List<String> reasoning = List.of();
    volatile List<String> text = List.of("Here are three nice things:", " the sun is warm,", " the");
    volatile ModelResult result = completed();

    static ModelResult completed() {
        return new ModelResult(ModelResult.Ending.COMPLETED, Optional.of("stop"), Optional.of(USAGE), List.of());
    }

    /** An early ending with the warning its provider adapter would give it. */
    static ModelResult endedEarly(ModelResult.Ending ending) {
        DiagnosticCode code = ending.diagnosticCode().orElseThrow();
        String message = switch (ending) {
            case TRUNCATED -> "The reply was cut off at the output token limit (12 tokens).";
            case FILTERED -> "The provider's content filter stopped the reply.";
            default -> "The model declined to answer.";
        };
        return new ModelResult(ending, Optional.of(ending.name().toLowerCase()), Optional.of(USAGE),
                List.of(Diagnostic.warning(code, message)));
    }

    @Override
    public ProviderInfo provider() {
        return new ProviderInfo("scripted", "scripted-1", true, Optional.empty(), Optional.empty());
    }

    @Override
    public ModelResult stream(ModelRequest request, TextSink sink, CancellationSignal cancellation) {
        reasoning.forEach(sink::reasoning);
        text.forEach(sink::accept);
        return result;
    }
}
