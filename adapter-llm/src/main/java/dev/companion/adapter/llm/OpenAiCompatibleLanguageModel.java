package dev.companion.adapter.llm;

import com.fasterxml.jackson.core.JsonProcessingException;
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
 * OpenAI Chat Completions, streamed: {@code POST {baseUrl}/chat/completions} with
 * {@code stream: true} and {@code stream_options.include_usage}, read as {@code data:} events up to
 * {@code data: [DONE]}. The same wire format is spoken by Ollama, llama.cpp, vLLM and LM Studio, for
 * which the key is optional.
 */
final class OpenAiCompatibleLanguageModel extends HttpStreamingLanguageModel {

    OpenAiCompatibleLanguageModel(ProviderSettings settings, Sleeper sleeper, Clock clock) {
        super(settings, sleeper, clock);
    }

    @Override
    HttpRequest request(String systemPrompt, List<ChatMessage> history) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("model", settings.model());
        body.put("stream", true);
        body.putObject("stream_options").put("include_usage", true);
        ArrayNode messages = body.putArray("messages");
        if (!systemPrompt.isBlank()) {
            messages.addObject().put("role", "system").put("content", systemPrompt);
        }
        for (ChatMessage message : history) {
            messages.addObject().put("role", message.role().wireName()).put("content", message.content());
        }
        HttpRequest.Builder builder = HttpRequest.newBuilder(LanguageModels.resolve(settings.baseUrl(), "/chat/completions"))
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes(body)));
        settings.apiKey().ifPresent(key -> builder.header("Authorization", "Bearer " + key.reveal()));
        return builder.build();
    }

    @Override
    EventParser newParser() {
        return new Parser();
    }

    static byte[] bytes(ObjectNode body) {
        try {
            return Json.MAPPER.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a request body could not be written", e);
        }
    }

    private static final class Parser implements EventParser {

        private Optional<String> stopReason = Optional.empty();
        private Optional<TokenUsage> usage = Optional.empty();

        @Override
        public Step onEvent(SseEvent event) throws Json.MalformedEvent {
            String data = event.data().strip();
            if (data.equals("[DONE]")) {
                return new End();
            }
            if (data.isEmpty()) {
                return new Skip();
            }
            JsonNode chunk = Json.eventObject(data);
            if (chunk.hasNonNull("error")) {
                // Some compatible servers report a failure as a data event after the 200.
                return new Failed(chunk);
            }
            JsonNode reported = chunk.path("usage");
            if (reported.isObject()) {
                usage = Optional.of(new TokenUsage(reported.path("prompt_tokens").asLong(0),
                        reported.path("completion_tokens").asLong(0)));
            }
            StringBuilder text = new StringBuilder();
            for (JsonNode choice : chunk.path("choices")) {
                if (choice.path("index").asInt(0) != 0) {
                    continue;
                }
                JsonNode content = choice.path("delta").path("content");
                if (content.isTextual()) {
                    text.append(content.asText());
                }
                JsonNode finish = choice.path("finish_reason");
                if (finish.isTextual()) {
                    stopReason = Optional.of(finish.asText());
                }
            }
            return text.length() == 0 ? new Skip() : new Text(text.toString());
        }

        @Override
        public Optional<String> stopReason() {
            return stopReason;
        }

        @Override
        public Optional<TokenUsage> usage() {
            return usage;
        }
    }
}
