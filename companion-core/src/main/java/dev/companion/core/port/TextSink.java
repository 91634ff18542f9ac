package dev.companion.core.port;

/**
 * Where a model puts each piece of its reply as it arrives. A reasoning model's thinking arrives
 * apart, through {@link #reasoning(String)}: it is never part of the reply text, and never sent back
 * to a model as part of the conversation.
 */
@FunctionalInterface
public interface TextSink {

    /** A piece of the reply text. */
    void accept(String delta);

    /**
     * A piece of the model's reasoning (OpenAI-compatible {@code reasoning_content} or
     * {@code reasoning}, Anthropic {@code thinking_delta}, a leading {@code <think>} block). Ignored
     * unless a sink shows or keeps it.
     */
    default void reasoning(String delta) {
        // Most sinks only want the reply.
    }
}
