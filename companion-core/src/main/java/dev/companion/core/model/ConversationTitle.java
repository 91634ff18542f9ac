package dev.companion.core.model;

/**
 * The rules for a conversation's title: what a person may name it, and the title a conversation
 * takes from its first message until renamed (no model call).
 */
public final class ConversationTitle {

    /** The longest title a person may give, in code points. */
    public static final int MAX_CHARACTERS = 200;
    /** How much of a first line becomes the automatic title. */
    public static final int AUTOMATIC_CHARACTERS = 60;

    private ConversationTitle() {
    }

    /** A title given by a person: trimmed, one line, not empty, not too long; else a typed rejection. */
    public static String validate(String title) {
        if (title == null || title.isBlank()) {
            throw new InvalidRequestException(Diagnostic.error(DiagnosticCode.INVALID_PARAMETER,
                    "The title is empty; give the conversation a name."));
        }
        String trimmed = title.strip();
        if (trimmed.indexOf('\n') >= 0 || trimmed.indexOf('\r') >= 0 || trimmed.indexOf('\0') >= 0) {
            throw new InvalidRequestException(Diagnostic.error(DiagnosticCode.INVALID_PARAMETER,
                    "A title is one line of text."));
        }
        if (trimmed.codePointCount(0, trimmed.length()) > MAX_CHARACTERS) {
            throw new InvalidRequestException(Diagnostic.error(DiagnosticCode.INVALID_PARAMETER,
                    "The title is longer than " + MAX_CHARACTERS + " characters."));
        }
        return trimmed;
    }

    /**
     * The first non-blank line of a message, cut at {@link #AUTOMATIC_CHARACTERS} code points on a
     * word boundary (with an ellipsis) when longer.
     */
    public static String fromFirstMessage(String message) {
        String line = "";
        for (String candidate : message.split("\\R")) {
            if (!candidate.isBlank()) {
                line = candidate.strip().replaceAll("\\s+", " ");
                break;
            }
        }
        if (line.codePointCount(0, line.length()) <= AUTOMATIC_CHARACTERS) {
            return line;
        }
        int end = line.offsetByCodePoints(0, AUTOMATIC_CHARACTERS);
        int space = line.lastIndexOf(' ', end);
        // A first word longer than the limit is cut inside the word rather than leaving nothing.
        String cut = space > 0 ? line.substring(0, space) : line.substring(0, end);
        return cut.stripTrailing() + "…";
    }
}
