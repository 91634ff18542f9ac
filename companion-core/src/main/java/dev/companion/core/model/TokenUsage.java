package dev.companion.core.model;

/**
 * Tokens a provider reports for one reply, as it counts them. {@code inputTokens} is everything the
 * model read (cached or not); {@code outputTokens} is everything it wrote, reasoning included where
 * the provider bills reasoning as output (OpenAI, Anthropic); {@code reasoningTokens} is the part of
 * the output spent on reasoning when the provider says so separately, else 0.
 */
public record TokenUsage(long inputTokens, long outputTokens, long reasoningTokens) {

    public TokenUsage {
        if (inputTokens < 0 || outputTokens < 0 || reasoningTokens < 0) {
            throw new IllegalArgumentException("token counts are never negative");
        }
    }

    /** Usage from a provider that reports no reasoning tokens apart. */
    public TokenUsage(long inputTokens, long outputTokens) {
        this(inputTokens, outputTokens, 0);
    }

    /** Input and output together. */
    public long totalTokens() {
        return inputTokens + outputTokens;
    }
}
