package dev.companion.core.port;

/** Tokens a provider reports for one reply. */
public record TokenUsage(long inputTokens, long outputTokens) {
}
