package dev.companion.adapter.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.Optional;

/** The adapter's one JSON mapper. */
final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }

    /** A JSON object, or empty when the bytes are not one (an HTML error page, say). */
    static Optional<JsonNode> parseObject(byte[] bytes) {
        try {
            JsonNode node = MAPPER.readTree(bytes);
            return node != null && node.isObject() ? Optional.of(node) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** An event's data as a JSON object; anything else is a malformed event. */
    static JsonNode eventObject(String data) throws MalformedEvent {
        try {
            JsonNode node = MAPPER.readTree(data);
            if (node == null || !node.isObject()) {
                throw new MalformedEvent();
            }
            return node;
        } catch (IOException e) {
            throw new MalformedEvent();
        }
    }

    /** An event that is not what the protocol says; carries no text of the event on purpose. */
    static final class MalformedEvent extends Exception {
        MalformedEvent() {
            super("malformed event", null, false, false);
        }
    }
}
