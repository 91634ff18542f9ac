package dev.companion.core.model;

import java.util.Objects;

/**
 * Who a worker is: its id and label, the prompt that sets its voice, and the capabilities it asks
 * for. The model it talks to is chosen by the runtime's configuration.
 */
public record Profile(String id, String label, String systemPrompt, Capabilities capabilities) {

    /** The prompt resource of the Companion's system prompt. */
    public static final String COMPANION_SYSTEM_PROMPT = "system/companion";

    public Profile {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(systemPrompt, "systemPrompt");
        Objects.requireNonNull(capabilities, "capabilities");
        if (!id.matches("[a-z][a-z0-9_-]{0,63}")) {
            throw new IllegalArgumentException("a profile id is lower-case letters, digits, '-' or '_'");
        }
        if (label.isBlank()) {
            throw new IllegalArgumentException("a profile needs a label");
        }
    }

    /** The Companion: conversation only, speaking with the Companion system prompt. */
    public static Profile companion() {
        return new Profile("companion", "Companion", COMPANION_SYSTEM_PROMPT, Capabilities.conversationOnly());
    }
}
