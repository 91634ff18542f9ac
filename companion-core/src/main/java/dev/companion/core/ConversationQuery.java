package dev.companion.core;

import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.InvalidRequestException;

import java.util.Objects;
import java.util.Optional;

/**
 * Asks for one page of the conversation list: after {@code cursor} (the {@code next_cursor} of the
 * page before, opaque to clients), at most {@code limit}, those whose title or words contain
 * {@code search} (case-insensitive) if given.
 */
public record ConversationQuery(Optional<String> search, Optional<String> cursor, int limit) {

    public static final int DEFAULT_LIMIT = 50;
    public static final int MAX_LIMIT = 200;
    public static final int MAX_SEARCH_CHARACTERS = 200;

    public ConversationQuery {
        Objects.requireNonNull(search, "search");
        Objects.requireNonNull(cursor, "cursor");
        search = search.map(String::strip).filter(term -> !term.isEmpty());
        if (search.isPresent() && search.get().codePointCount(0, search.get().length()) > MAX_SEARCH_CHARACTERS) {
            throw new InvalidRequestException(Diagnostic.error(DiagnosticCode.INVALID_PARAMETER,
                    "The search term is longer than " + MAX_SEARCH_CHARACTERS + " characters."));
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new InvalidRequestException(Diagnostic.error(DiagnosticCode.INVALID_PARAMETER,
                    "limit must be between 1 and " + MAX_LIMIT + "."));
        }
    }

    public static ConversationQuery newest() {
        return new ConversationQuery(Optional.empty(), Optional.empty(), DEFAULT_LIMIT);
    }

    public static ConversationQuery matching(String search) {
        return new ConversationQuery(Optional.of(search), Optional.empty(), DEFAULT_LIMIT);
    }
}
