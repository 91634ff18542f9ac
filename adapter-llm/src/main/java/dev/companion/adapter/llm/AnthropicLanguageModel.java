package dev.companion.adapter.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.companion.adapter.llm.LanguageModels.ProviderSettings;
import dev.companion.core.port.ChatMessage;
import dev.companion.core.model.TokenUsage;

import java.net.URI;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Anthropic Messages, streamed: {@code POST {baseUrl}/v1/messages} with {@code stream: true}, read
 * as named events: {@code message_start} (usage), {@code content_block_start/delta/stop} (text as
 * {@code text_delta}, reasoning as {@code thinking_delta}; {@code signature_delta} is skipped),
 * {@code message_delta} (stop reason, usage), {@code message_stop} (the end marker, though a clean
 * end of the stream after a stop reason counts too); {@code ping} and unknown events are skipped, and
 * an {@code error} event fails the reply even after the 200, whether its data says
 * {@code "type": "error"} (Anthropic) or not (llama.cpp's compatible server).
 *
 * <p>{@code max_tokens} is required by the API: {@link ProviderSettings#maxOutputTokens()}, or
 * {@link ProviderSettings#DEFAULT_MAX_OUTPUT_TOKENS}. When that default is more than an older model
 * allows (Claude 3 models stop at 4,096), the 400 that says so names the model's maximum; the
 * request is sent again with it, and so are later ones from this instance. A limit set explicitly
 * is never lowered.
 */
final class AnthropicLanguageModel extends HttpStreamingLanguageModel {

    static final String API_VERSION = "2023-06-01";

    /** "max_tokens: 8192 > 4096, which is the maximum allowed number of output tokens for …". */
    private static final Pattern MAX_TOKENS_OVER = Pattern.compile("max_tokens: *\\d+ *> *(\\d+)");

    private final AtomicInteger maxTokens;
    private final URI endpoint;

    AnthropicLanguageModel(ProviderSettings settings, Sleeper sleeper, Clock clock) {
        super(settings, sleeper, clock);
        this.endpoint = LanguageModels.resolve(settings.baseUrl(), "/v1/messages");
        this.maxTokens = new AtomicInteger(settings.maxOutputTokens().orElse(ProviderSettings.DEFAULT_MAX_OUTPUT_TOKENS));
    }

    @Override
    ProviderRequest request(String systemPrompt, List<ChatMessage> history) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("model", settings.model());
        body.put("max_tokens", maxTokens.get());
        body.put("stream", true);
        if (!systemPrompt.isBlank()) {
            body.put("system", systemPrompt);
        }
        ArrayNode messages = body.putArray("messages");
        for (ChatMessage message : history) {
            messages.addObject().put("role", message.role().wireName()).put("content", message.content());
        }
        ProviderRequest request = ProviderRequest.postJson(endpoint, OpenAiCompatibleLanguageModel.bytes(body))
                .header("anthropic-version", API_VERSION);
        return settings.apiKey().isEmpty() ? request : request.header("x-api-key", settings.apiKey().get().reveal());
    }

    /** The default output limit is lowered, once, to the maximum a 400 names for this model. */
    @Override
    boolean relaxAfterRejection(int status, String errorBody) {
        if (status != 400 || settings.maxOutputTokens().isPresent()) {
            return false;
        }
        Matcher over = MAX_TOKENS_OVER.matcher(errorBody);
        if (!over.find()) {
            return false;
        }
        int allowed;
        try {
            allowed = Integer.parseInt(over.group(1));
        } catch (NumberFormatException e) {
            return false;
        }
        int current = maxTokens.get();
        return allowed >= 1 && allowed < current && maxTokens.compareAndSet(current, allowed);
    }

    @Override
    EventParser newParser() {
        return new Parser();
    }

    private static final class Parser implements EventParser {

        private Optional<String> stopReason = Optional.empty();
        private long inputTokens = -1;
        private long cacheCreationTokens;
        private long cacheReadTokens;
        private long outputTokens = -1;

        @Override
        public Step onEvent(SseEvent event) throws Json.MalformedEvent {
            JsonNode data = Json.eventObject(event.data());
            if (event.name().equals("error") || data.path("type").asText("").equals("error")) {
                return new Failed(data);
            }
            String type = data.path("type").asText("");
            if (type.isEmpty()) {
                type = event.name();
            }
            switch (type) {
                case "message_start" -> {
                    record(data.path("message").path("usage"));
                    return new Skip();
                }
                case "content_block_start" -> {
                    // Normally empty; a compatible server may start a block with its first piece.
                    JsonNode block = data.path("content_block");
                    return piece(block.path("type").asText(""), block.path("text"), block.path("thinking"));
                }
                case "content_block_delta" -> {
                    JsonNode delta = data.path("delta");
                    return piece(delta.path("type").asText(""), delta.path("text"), delta.path("thinking"));
                }
                case "message_delta" -> {
                    JsonNode reason = data.path("delta").path("stop_reason");
                    if (reason.isTextual() && !reason.asText().isBlank()) {
                        stopReason = Optional.of(reason.asText());
                    }
                    record(data.path("usage"));
                    return new Skip();
                }
                case "message_stop" -> {
                    return new End();
                }
                default -> {
                    // ping, content_block_stop, and event types added after this was written.
                    return new Skip();
                }
            }
        }

        /** Text and thinking become the reply and the reasoning; signatures and tool input do not. */
        private static Step piece(String type, JsonNode text, JsonNode thinking) {
            return switch (type) {
                case "text", "text_delta" -> text.isTextual() && !text.asText().isEmpty()
                        ? new Output(List.of(new Text(text.asText()))) : new Skip();
                case "thinking", "thinking_delta" -> thinking.isTextual() && !thinking.asText().isEmpty()
                        ? new Output(List.of(new Reasoning(thinking.asText()))) : new Skip();
                default -> new Skip();
            };
        }

        private void record(JsonNode usage) {
            if (usage.path("input_tokens").isNumber()) {
                inputTokens = Math.max(0, usage.path("input_tokens").asLong());
            }
            if (usage.path("cache_creation_input_tokens").isNumber()) {
                cacheCreationTokens = Math.max(0, usage.path("cache_creation_input_tokens").asLong());
            }
            if (usage.path("cache_read_input_tokens").isNumber()) {
                cacheReadTokens = Math.max(0, usage.path("cache_read_input_tokens").asLong());
            }
            if (usage.path("output_tokens").isNumber()) {
                outputTokens = Math.max(0, usage.path("output_tokens").asLong());
            }
        }

        @Override
        public Optional<String> stopReason() {
            return stopReason;
        }

        /** Input counts what was read from the cache too; thinking is billed as output and not told apart. */
        @Override
        public Optional<TokenUsage> usage() {
            if (inputTokens < 0 && outputTokens < 0) {
                return Optional.empty();
            }
            return Optional.of(new TokenUsage(Math.max(0, inputTokens) + cacheCreationTokens + cacheReadTokens,
                    Math.max(0, outputTokens)));
        }
    }
}
