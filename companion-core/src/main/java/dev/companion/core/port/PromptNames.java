package dev.companion.core.port;

/** The names of the prompts the product uses; each is a resource in the {@code prompts} module. */
public final class PromptNames {

    /** The Companion's system prompt, sent first to every model. */
    public static final String COMPANION_SYSTEM = "system/companion";
    /** The offline model's reply; placeholders {@code {{characters}}} and {{words}}. */
    public static final String OFFLINE_REPLY = "offline/reply";
    /** One sentence: replies are not from an LLM. Shown as the transport limitation. */
    public static final String OFFLINE_LIMITATION = "offline/limitation";
    /** The diagnostic sentence shown while the offline model is in use. */
    public static final String OFFLINE_NOTICE = "offline/notice";
    /** Why the offline model was chosen when nothing else was configured. */
    public static final String OFFLINE_REASON = "offline/reason";

    private PromptNames() {
    }
}
