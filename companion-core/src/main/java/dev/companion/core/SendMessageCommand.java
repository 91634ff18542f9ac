package dev.companion.core;

import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.InvalidRequestException;

import java.util.Objects;

/**
 * A user message for the Companion. Validates itself: not blank, no NUL character, at most {@link #MAX_CHARACTERS}
 * characters (Unicode code points, as a person counts them). Invalid input throws
 * {@link InvalidRequestException} with a diagnostic; nothing has changed at that point.
 *
 * @param content the message text
 * @param source  the channel it came through: {@code http}, {@code cli}, {@code java}
 */
public record SendMessageCommand(String content, String source) {

    public static final int MAX_CHARACTERS = 8_000;

    public SendMessageCommand {
        Objects.requireNonNull(source, "source");
        if (content == null || content.isBlank()) {
            throw new InvalidRequestException(Diagnostic.error(DiagnosticCode.EMPTY_MESSAGE,
                    "The message is empty; write something to send."));
        }
        if (content.indexOf('\0') >= 0) {
            // NUL ends strings in C, terminals and many tools; a message carrying one would read
            // differently in each of them.
            throw new InvalidRequestException(Diagnostic.error(DiagnosticCode.MESSAGE_CONTAINS_NUL,
                    "The message contains a NUL character; remove it and send again."));
        }
        int characters = content.codePointCount(0, content.length());
        if (characters > MAX_CHARACTERS) {
            throw new InvalidRequestException(Diagnostic.error(DiagnosticCode.MESSAGE_TOO_LONG,
                    "The message has " + characters + " characters; the limit is " + MAX_CHARACTERS + "."));
        }
    }

    public static SendMessageCommand of(String content) {
        return new SendMessageCommand(content, "java");
    }
}
