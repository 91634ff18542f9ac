package dev.companion.core.port;

import java.util.Map;

/**
 * Every sentence the Companion says or sends to a model, by name (for example
 * {@code system/companion}). Prose lives in resources, never in code.
 */
public interface PromptCatalog {

    /** The text of a prompt. @throws IllegalArgumentException for an unknown name */
    String text(String name);

    /** The text with each {@code {{key}}} replaced by its value. */
    default String render(String name, Map<String, String> values) {
        String text = text(name);
        for (Map.Entry<String, String> value : values.entrySet()) {
            text = text.replace("{{" + value.getKey() + "}}", value.getValue());
        }
        return text;
    }
}
