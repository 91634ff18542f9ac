package dev.companion.adapter.llm;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.companion.adapter.llm.LanguageModels.ProviderSettings;
import dev.companion.core.port.ChatMessage;
import dev.companion.core.port.ModelResult.Ending;
import dev.companion.core.model.TokenUsage;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * OpenAI Chat Completions, streamed: {@code POST {baseUrl}/chat/completions} with
 * {@code stream: true}, read as {@code data:} events up to {@code data: [DONE]} (or the end of the
 * stream after a {@code finish_reason}). The same wire format is spoken, each with its own accents,
 * by Azure OpenAI, DeepSeek, vLLM, SGLang, llama.cpp, Ollama, LM Studio, OpenRouter and Databricks;
 * the key is optional for local servers.
 *
 * <p>What the request carries, decided after what the official SDKs do (they send only what the
 * caller sets): {@code stream_options.include_usage} so that the usage arrives, left out for good
 * (for this model instance) once a server answers 400 or 422 naming it, as Azure AI Foundry and some
 * gateways do; an output limit only when {@link ProviderSettings#maxOutputTokens()} is set, as
 * {@code max_completion_tokens} for OpenAI's and Azure OpenAI's own hosts (whose reasoning models
 * refuse {@code max_tokens}) and as {@code max_tokens}, which every compatible server reads, elsewhere.
 *
 * <p>What the stream may carry besides text: reasoning as {@code delta.reasoning_content} (DeepSeek,
 * llama.cpp, older vLLM, SGLang) or {@code delta.reasoning} (vLLM 0.10+, Ollama, OpenRouter), or
 * inside a leading {@code <think>} block of the content; content as a string or as an array of parts
 * ({@code text}, {@code thinking}, {@code reasoning}: Databricks, Mistral); an OpenAI
 * {@code delta.refusal}; usage in any chunk (the last one wins); and errors in every shape servers
 * use, which end the reply.
 */
final class OpenAiCompatibleLanguageModel extends HttpStreamingLanguageModel {

    /** Cleared once a server refuses {@code stream_options}; it is not sent again by this instance. */
    private final AtomicBoolean streamOptions = new AtomicBoolean(true);
    private final URI endpoint;

    OpenAiCompatibleLanguageModel(ProviderSettings settings, Sleeper sleeper, Clock clock) {
        super(settings, sleeper, clock);
        this.endpoint = LanguageModels.resolve(settings.baseUrl(), "/chat/completions");
    }

    @Override
    ProviderRequest request(String systemPrompt, List<ChatMessage> history) {
        ProviderRequest request = ProviderRequest.postJson(endpoint, body(systemPrompt, history));
        return settings.apiKey().isEmpty() ? request : request.header("Authorization", "Bearer " + settings.apiKey().get().reveal());
    }

    /**
     * The request's JSON, written straight out rather than built as a tree first: the whole history
     * goes out with every reply, so this is the one part of a turn that grows with the conversation.
     */
    private byte[] body(String systemPrompt, List<ChatMessage> history) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256 + 64 * history.size());
        try (JsonGenerator json = Json.MAPPER.getFactory().createGenerator(bytes)) {
            json.writeStartObject();
            json.writeStringField("model", settings.model());
            json.writeBooleanField("stream", true);
            if (streamOptions.get()) {
                json.writeObjectFieldStart("stream_options");
                json.writeBooleanField("include_usage", true);
                json.writeEndObject();
            }
            if (settings.maxOutputTokens().isPresent()) {
                json.writeNumberField(outputLimitField(settings.baseUrl()), settings.maxOutputTokens().getAsInt());
            }
            json.writeArrayFieldStart("messages");
            if (!systemPrompt.isBlank()) {
                message(json, "system", systemPrompt);
            }
            for (ChatMessage message : history) {
                message(json, message.role().wireName(), message.content());
            }
            json.writeEndArray();
            json.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("a request body could not be written", e);
        }
        return bytes.toByteArray();
    }

    private static void message(JsonGenerator json, String role, String content) throws IOException {
        json.writeStartObject();
        json.writeStringField("role", role);
        json.writeStringField("content", content);
        json.writeEndObject();
    }

    /** OpenAI's current name on its own hosts; the name every compatible server knows elsewhere. */
    static String outputLimitField(URI baseUrl) {
        String host = baseUrl.getHost().toLowerCase(Locale.ROOT);
        return host.equals("api.openai.com") || host.endsWith(".openai.azure.com") ? "max_completion_tokens" : "max_tokens";
    }

    /** A server that does not know {@code stream_options} says so in a 400 or 422 that names it. */
    @Override
    boolean relaxAfterRejection(int status, String errorBody) {
        String body = errorBody.toLowerCase(Locale.ROOT);
        boolean namesIt = body.contains("stream_options") || body.contains("include_usage");
        return (status == 400 || status == 422) && namesIt && streamOptions.compareAndSet(true, false);
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

        private final ThinkTags thinkTags = new ThinkTags();
        private Optional<String> stopReason = Optional.empty();
        private Optional<TokenUsage> usage = Optional.empty();
        private boolean refused;

        @Override
        public Step onEvent(SseEvent event) throws Json.MalformedEvent {
            String data = event.data().strip();
            if (event.name().equals("error")) {
                // llama.cpp's own error field (see SseReader), or a server that names its error events.
                return new Failed(Json.parseObject(data.getBytes(StandardCharsets.UTF_8))
                        .orElseGet(Json.MAPPER::createObjectNode));
            }
            if (data.equals("[DONE]")) {
                return new End();
            }
            if (data.isEmpty()) {
                return new Skip();
            }
            JsonNode chunk = Json.eventObject(data);
            if (chunk.hasNonNull("error") || chunk.path("object").asText("").equals("error")) {
                // {"error": {...}}, {"error": "..."} (OpenAI, Ollama, vLLM, OpenRouter) or {"object": "error", ...}
                // (vLLM, SGLang, Azure AI Foundry) after the 200.
                return new Failed(chunk);
            }
            JsonNode reported = chunk.path("usage");
            if (reported.isObject()) {
                usage = Optional.of(new TokenUsage(count(reported.path("prompt_tokens")),
                        count(reported.path("completion_tokens")),
                        count(reported.path("completion_tokens_details").path("reasoning_tokens"))));
            }
            List<Delta> deltas = new ArrayList<>();
            for (JsonNode choice : chunk.path("choices")) {
                if (choice.path("index").asInt(0) != 0) {
                    continue;
                }
                JsonNode delta = choice.path("delta");
                String reasoning = firstText(delta.path("reasoning_content"), delta.path("reasoning"));
                if (!reasoning.isEmpty()) {
                    deltas.add(new Reasoning(reasoning));
                }
                String refusal = textOf(delta.path("refusal"));
                if (!refusal.isEmpty()) {
                    refused = true;
                    deltas.add(new Text(refusal));
                }
                content(delta.path("content"), deltas);
                JsonNode finish = choice.path("finish_reason");
                if (finish.isTextual() && finish.asText().equals("error")) {
                    // OpenRouter: a provider failed mid-generation; the chunk carries the error beside it.
                    return new Failed(chunk);
                }
                if (finish.isTextual() && !finish.asText().isBlank()) {
                    stopReason = Optional.of(finish.asText());
                }
            }
            return deltas.isEmpty() ? new Skip() : new Output(deltas);
        }

        /** Content as a string, or as an array of parts: text, thinking (Mistral), reasoning (Databricks). */
        private void content(JsonNode content, List<Delta> deltas) {
            if (content.isTextual()) {
                deltas.addAll(thinkTags.feed(content.asText()));
                return;
            }
            for (JsonNode part : content) {
                if (part.isTextual()) {
                    deltas.addAll(thinkTags.feed(part.asText()));
                    continue;
                }
                switch (part.path("type").asText("")) {
                    case "text", "output_text" -> deltas.addAll(thinkTags.feed(textOf(part.path("text"))));
                    case "thinking" -> reasoningParts(part.path("thinking"), deltas);
                    case "reasoning" -> {
                        reasoningParts(part.path("summary"), deltas);
                        reasoningParts(part.path("text"), deltas);
                    }
                    default -> {
                        // images, audio, citations and part types added later are not reply text
                    }
                }
            }
        }

        private static void reasoningParts(JsonNode node, List<Delta> deltas) {
            if (node.isArray()) {
                for (JsonNode piece : node) {
                    String text = textOf(piece);
                    if (!text.isEmpty()) {
                        deltas.add(new Reasoning(text));
                    }
                }
            } else {
                String text = textOf(node);
                if (!text.isEmpty()) {
                    deltas.add(new Reasoning(text));
                }
            }
        }

        /** A string, or an object's {@code text} (some gateways wrap reasoning so). */
        private static String textOf(JsonNode node) {
            if (node.isTextual()) {
                return node.asText();
            }
            JsonNode text = node.path("text");
            return text.isTextual() ? text.asText() : "";
        }

        /** The first of the fields that carries text: servers that send both send the same text twice. */
        private static String firstText(JsonNode first, JsonNode second) {
            String text = textOf(first);
            return text.isEmpty() ? textOf(second) : text;
        }

        private static long count(JsonNode node) {
            return Math.max(0, node.asLong(0));
        }

        @Override
        public List<Delta> flush() {
            return thinkTags.flush();
        }

        @Override
        public Optional<String> stopReason() {
            return stopReason;
        }

        @Override
        public Optional<TokenUsage> usage() {
            return usage;
        }

        @Override
        public Ending ending() {
            return refused ? Ending.REFUSED : EventParser.super.ending();
        }
    }
}
