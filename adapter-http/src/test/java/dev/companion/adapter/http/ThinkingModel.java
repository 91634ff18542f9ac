package dev.companion.adapter.http;

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
 * A reasoning model that always thinks aloud first, then answers until its output limit cuts it
 * off: every reply has reasoning, token usage and the warning of a truncated ending.
 */
final class ThinkingModel implements LanguageModel {

    static final String REASONING = "The user greets me; ";
    static final String MORE_REASONING = "answer briefly.";
    static final String ANSWER = "Hello! I was about to";
    static final TokenUsage USAGE = new TokenUsage(120, 48, 16);

    @Override
    public ProviderInfo provider() {
        return new ProviderInfo("thinking", "thinking-1", true, Optional.of("model.test"), Optional.empty());
    }

    @Override
    public ModelResult stream(ModelRequest request, TextSink sink, CancellationSignal cancellation) {
        sink.reasoning(REASONING);
        sink.reasoning(MORE_REASONING);
        sink.accept(ANSWER);
        return new ModelResult(ModelResult.Ending.TRUNCATED, Optional.of("length"), Optional.of(USAGE),
                List.of(Diagnostic.warning(DiagnosticCode.PROVIDER_REPLY_TRUNCATED,
                        "The reply reached the output limit and was cut off.")));
    }
}
