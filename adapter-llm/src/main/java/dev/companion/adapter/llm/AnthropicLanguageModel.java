package dev.companion.adapter.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.companion.core.port.ChatMessage;
import dev.companion.core.port.TokenUsage;
import dev.companion.adapter.llm.LanguageModels.ProviderSettings;

import java.net.http.HttpRequest;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * Anthropic Messages, streamed: {@code POST {baseUrl}/v1/messages} with {@code stream: true}, read
 * as named events: {@code message_start}, {@code content_block_start/delta/stop},
 * {@code message_delta} (stop reason, usage), {@code message_stop} (the end marker); {@code ping}
 * and unknown events are skipped, {@code error} fails the reply even after the 200.
 */
final class AnthropicLanguageModel extends HttpStreamingLanguageModel {

    static final String API_VERSION = "2023-06-01";

    AnthropicLanguageModel(ProviderSettings settings, Sleeper sleeper, Clock clock) {
        super(settings, sleeper, clock);
    }

    @Override
    HttpRequest request(String systemPrompt, List<ChatMessage> history) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("model", settings.model());
        body.put("max_tokens", settings.maxOutputTokens());
        body.put("stream", true);
        if (!systemPrompt.isBlank()) {
            body.put("system", systemPrompt);
        }
        ArrayNode messages = body.putArray("messages");
        for (ChatMessage message : history) {
            messages.addObject().put("role", message.role().wireName()).put("content", message.content());
        }
        HttpRequest.Builder builder = HttpRequest.newBuilder(LanguageModels.resolve(settings.baseUrl(), "/v1/messages"))
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .header("anthropic-version", API_VERSION)
                .POST(HttpRequest.BodyPublishers.ofByteArray(OpenAiCompatibleLanguageModel.bytes(body)));
        settings.apiKey().ifPresent(key -> builder.header("x-api-key", key.reveal()));
        return builder.build();
    }

    @Override
    EventParser newParser() {
        return new Parser();
    }

    private static final class Parser implements EventParser {

        private Optional<String> stopReason = Optional.empty();
        private long inputTokens = -1;
        private long outputTokens = -1;

        @Override
        public Step onEvent(SseEvent event) throws Json.MalformedEvent {
            JsonNode data = Json.eventObject(event.data());
            String type = data.path("type").asText(event.name());
            switch (type) {
                case "message_start" -> {
                    record(data.path("message").path("usage"));
                    return new Skip();
                }
                case "content_block_delta" -> {
                    JsonNode delta = data.path("delta");
                    if (delta.path("type").asText("").equals("text_delta") && delta.path("text").isTextual()) {
                        return new Text(delta.path("text").asText());
                    }
                    return new Skip();
                }
                case "message_delta" -> {
                    JsonNode reason = data.path("delta").path("stop_reason");
                    if (reason.isTextual()) {
                        stopReason = Optional.of(reason.asText());
                    }
                    record(data.path("usage"));
                    return new Skip();
                }
                case "message_stop" -> {
                    return new End();
                }
                case "error" -> {
                    return new Failed(data);
                }
                default -> {
                    // ping, content_block_start/stop, and event types added after this was written.
                    return new Skip();
                }
            }
        }

        private void record(JsonNode usage) {
            if (usage.path("input_tokens").isNumber()) {
                inputTokens = usage.path("input_tokens").asLong();
            }
            if (usage.path("output_tokens").isNumber()) {
                outputTokens = usage.path("output_tokens").asLong();
            }
        }

        @Override
        public Optional<String> stopReason() {
            return stopReason;
        }

        @Override
        public Optional<TokenUsage> usage() {
            if (inputTokens < 0 && outputTokens < 0) {
                return Optional.empty();
            }
            return Optional.of(new TokenUsage(Math.max(0, inputTokens), Math.max(0, outputTokens)));
        }
    }
}
