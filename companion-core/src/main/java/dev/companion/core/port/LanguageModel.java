package dev.companion.core.port;

/**
 * A model that writes the Companion's replies. Implementations stream text to the sink as it is
 * produced and return when the reply ends; they stop promptly once the signal is cancelled.
 */
public interface LanguageModel {

    /** What the outside may know of this model; never a key or a full URL. */
    dev.companion.core.model.ProviderInfo provider();

    /**
     * Produces one reply. Blocks until the reply is complete, the signal is cancelled, or it fails.
     *
     * @throws LanguageModelException with the typed state and diagnostic of the failure
     */
    ModelResult stream(ModelRequest request, TextSink sink, CancellationSignal cancellation);
}
