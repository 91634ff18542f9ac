package dev.companion.adapter.llm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.adapter.llm.LanguageModels.Kind;
import dev.companion.core.port.LanguageModelException;

import java.net.http.HttpHeaders;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The one place where provider failures become typed {@link LanguageModelException}s. The upstream's
 * error body is read only to tell kinds apart (a quota 429 from a rate-limit 429); it never reaches
 * a message, because it can echo the key or a path. Messages carry the status and the provider's
 * request id at most.
 */
final class ProviderErrorMapper {

    private static final Pattern SAFE_REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private final Kind kind;
    private final Clock clock;

    ProviderErrorMapper(Kind kind, Clock clock) {
        this.kind = kind;
        this.clock = clock;
    }

    /** A non-2xx answer, from its status, headers and (for classification only) its JSON body. */
    LanguageModelException fromStatus(int status, HttpHeaders headers, Optional<JsonNode> body) {
        String where = where(status, headers);
        ErrorKind errorKind = ErrorKind.of(body);
        if (errorKind.quota()) {
            return quota(where);
        }
        if (status == 401 || status == 403) {
            return LanguageModelException.error(Diagnostic.error(DiagnosticCode.PROVIDER_AUTH_FAILED,
                    "The provider refused the API key" + where + "."), false);
        }
        if (status == 402) {
            return quota(where);
        }
        if (status == 404) {
            return LanguageModelException.error(Diagnostic.error(DiagnosticCode.PROVIDER_MODEL_NOT_FOUND,
                    "The provider does not know this model or endpoint" + where + "."), false);
        }
        if (status == 429) {
            return rateLimited(where, retryAfter(headers));
        }
        if (status == 408 || status == 409 || status >= 500) {
            return unavailable(where, retryAfter(headers));
        }
        return LanguageModelException.error(Diagnostic.error(DiagnosticCode.PROVIDER_REQUEST_REJECTED,
                "The provider rejected the request" + where + "."), false);
    }

    /** An {@code error} event inside a 200 stream, before any text reached the sink. */
    LanguageModelException fromStreamError(Optional<JsonNode> event, int status, HttpHeaders headers) {
        String where = where(status, headers);
        ErrorKind errorKind = ErrorKind.of(event);
        String suffix = " in its stream" + where + ".";
        if (errorKind.quota()) {
            return quota(where);
        }
        return switch (errorKind.type()) {
            case "authentication_error", "permission_error", "invalid_api_key" ->
                    LanguageModelException.error(Diagnostic.error(DiagnosticCode.PROVIDER_AUTH_FAILED,
                            "The provider refused the API key" + suffix), false);
            case "not_found_error", "model_not_found" ->
                    LanguageModelException.error(Diagnostic.error(DiagnosticCode.PROVIDER_MODEL_NOT_FOUND,
                            "The provider does not know this model" + suffix), false);
            case "rate_limit_error", "rate_limit_exceeded" -> rateLimited(where, Optional.empty());
            case "invalid_request_error" ->
                    LanguageModelException.error(Diagnostic.error(DiagnosticCode.PROVIDER_REQUEST_REJECTED,
                            "The provider rejected the request" + suffix), false);
            default -> LanguageModelException.error(Diagnostic.error(DiagnosticCode.PROVIDER_UNAVAILABLE,
                    "The provider reported a failure" + suffix), true);
        };
    }

    /** The stream broke or ended without its end marker (or failed) after text reached the sink. */
    LanguageModelException interrupted(boolean textSent, int status, HttpHeaders headers) {
        return LanguageModelException.error(Diagnostic.error(DiagnosticCode.PROVIDER_STREAM_INTERRUPTED,
                "The provider's reply stream ended before its end marker" + where(status, headers) + "."), !textSent);
    }

    LanguageModelException empty(int status, HttpHeaders headers) {
        return LanguageModelException.error(Diagnostic.error(DiagnosticCode.PROVIDER_EMPTY_RESPONSE,
                "The provider answered without any reply text" + where(status, headers) + "."), false);
    }

    LanguageModelException malformed(int status, HttpHeaders headers) {
        return LanguageModelException.error(Diagnostic.error(DiagnosticCode.PROVIDER_MALFORMED_RESPONSE,
                "The provider sent an event this adapter cannot read" + where(status, headers) + "."), false);
    }

    /** No answer at all: refused, reset, name not resolved. The exception's own text is not used. */
    LanguageModelException unreachable() {
        return LanguageModelException.error(Diagnostic.error(DiagnosticCode.PROVIDER_UNAVAILABLE,
                "The provider could not be reached."), true);
    }

    LanguageModelException timeout(Watchdog.Reason reason, Duration limit) {
        String seconds = formatSeconds(limit);
        Diagnostic diagnostic = switch (reason) {
            case CONNECT -> Diagnostic.error(DiagnosticCode.PROVIDER_CONNECT_TIMEOUT,
                    "No connection to the provider within " + seconds + ".");
            case FIRST_TOKEN -> Diagnostic.error(DiagnosticCode.PROVIDER_FIRST_TOKEN_TIMEOUT,
                    "The provider sent no reply text within " + seconds + ".");
            case IDLE -> Diagnostic.error(DiagnosticCode.PROVIDER_IDLE_TIMEOUT,
                    "The provider's reply paused for more than " + seconds + ".");
            case TOTAL -> Diagnostic.error(DiagnosticCode.PROVIDER_TOTAL_TIMEOUT,
                    "The provider's reply took longer than " + seconds + ".");
            case CANCELLED -> throw new IllegalArgumentException("a cancel is not a timeout");
        };
        return LanguageModelException.timeout(diagnostic);
    }

    private LanguageModelException quota(String where) {
        return LanguageModelException.error(Diagnostic.error(DiagnosticCode.PROVIDER_QUOTA_EXCEEDED,
                "The provider account is out of quota or over its spend limit" + where + "."), false);
    }

    private LanguageModelException rateLimited(String where, Optional<Duration> retryAfter) {
        String hint = retryAfter.map(d -> "; it asks to retry after " + formatSeconds(d)).orElse("");
        return LanguageModelException.busy(Diagnostic.warning(DiagnosticCode.PROVIDER_RATE_LIMITED,
                "The provider is rate limiting requests" + where + hint + "."), retryAfter);
    }

    private LanguageModelException unavailable(String where, Optional<Duration> retryAfter) {
        return new LanguageModelException(dev.companion.core.model.CompanionState.ERROR,
                Diagnostic.error(DiagnosticCode.PROVIDER_UNAVAILABLE, "The provider is unavailable" + where + "."),
                true, retryAfter);
    }

    private String where(int status, HttpHeaders headers) {
        String idHeader = kind == Kind.ANTHROPIC ? "request-id" : "x-request-id";
        Optional<String> id = headers.firstValue(idHeader).filter(v -> SAFE_REQUEST_ID.matcher(v).matches());
        return " (HTTP " + status + id.map(v -> ", request id " + v).orElse("") + ")";
    }

    /** {@code Retry-After} as seconds or an HTTP date; OpenAI's {@code retry-after-ms} too. */
    Optional<Duration> retryAfter(HttpHeaders headers) {
        Optional<String> millis = headers.firstValue("retry-after-ms");
        if (millis.isPresent()) {
            try {
                return Optional.of(Duration.ofMillis(Math.max(0, (long) Double.parseDouble(millis.get().strip()))));
            } catch (NumberFormatException e) {
                // fall through to Retry-After
            }
        }
        Optional<String> value = headers.firstValue("retry-after").map(String::strip);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Duration.ofMillis(Math.max(0, (long) (Double.parseDouble(value.get()) * 1000))));
        } catch (NumberFormatException e) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(value.get(), DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration left = Duration.between(clock.instant(), at.toInstant());
                return Optional.of(left.isNegative() ? Duration.ZERO : left);
            } catch (DateTimeParseException ignored) {
                return Optional.empty();
            }
        }
    }

    private static String formatSeconds(Duration d) {
        long millis = d.toMillis();
        if (millis % 1000 == 0) {
            return (millis / 1000) + " s";
        }
        return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }

    /** What an error body or event says its kind is; never its message. */
    private record ErrorKind(String type, boolean quota) {

        static ErrorKind of(Optional<JsonNode> body) {
            JsonNode error = body.map(b -> b.path("error")).orElse(com.fasterxml.jackson.databind.node.MissingNode.getInstance());
            String type = error.path("type").asText("");
            String code = error.path("code").asText("");
            String detail = error.path("details").path("error_code").asText("");
            boolean quota = type.equals("insufficient_quota") || code.equals("insufficient_quota")
                    || type.equals("billing_error") || detail.equals("enforced_spend_limit_reached");
            return new ErrorKind(type.isEmpty() ? code : type, quota);
        }
    }
}
