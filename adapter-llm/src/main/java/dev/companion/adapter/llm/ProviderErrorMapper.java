package dev.companion.adapter.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.companion.core.model.CompanionState;
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
        ErrorBody error = ErrorBody.of(body);
        return failure(classify(status, error), error, where(status, headers), "", retryAfter(headers));
    }

    /**
     * An error inside a 200 stream, before anything reached the sink, in any of its shapes:
     * {@code {"error": {…}}}, {@code {"error": "…"}}, {@code {"object": "error", …}}, or a bare error
     * object. A status the error carries in its {@code code} (vLLM, SGLang, llama.cpp, OpenRouter)
     * counts as the answer's status: a 400 in a stream is as final as a 400 before it.
     */
    LanguageModelException fromStreamError(JsonNode event, int status, HttpHeaders headers) {
        ErrorBody error = ErrorBody.of(Optional.of(event));
        int carried = error.status() >= 400 && error.status() <= 599 ? error.status() : 0;
        return failure(classify(carried, error), error, where(status, headers), " in its stream", Optional.empty());
    }

    private LanguageModelException failure(ErrorKind errorKind, ErrorBody error, String where, String inStream,
                                           Optional<Duration> retryAfter) {
        String suffix = inStream + where + ".";
        return switch (errorKind) {
            case QUOTA -> quota(where);
            case CONTEXT_TOO_LONG -> LanguageModelException.error(Diagnostic.error(DiagnosticCode.PROVIDER_CONTEXT_TOO_LONG,
                    "The conversation is longer than the model's context window or larger than the provider accepts"
                            + suffix), false);
            case AUTH -> LanguageModelException.error(Diagnostic.error(DiagnosticCode.PROVIDER_AUTH_FAILED,
                    "The provider refused the API key" + suffix), false);
            case NOT_FOUND -> LanguageModelException.error(Diagnostic.error(DiagnosticCode.PROVIDER_MODEL_NOT_FOUND,
                    "The provider does not know this model or endpoint" + suffix), false);
            case RATE_LIMITED -> rateLimited(inStream + where, retryAfter);
            case REJECTED -> LanguageModelException.error(Diagnostic.error(DiagnosticCode.PROVIDER_REQUEST_REJECTED,
                    (error.contentFilter() ? "The provider's content filter rejected the message"
                            : "The provider rejected the request") + suffix), false);
            case UNAVAILABLE -> new LanguageModelException(CompanionState.ERROR, Diagnostic.error(
                    DiagnosticCode.PROVIDER_UNAVAILABLE, (inStream.isEmpty() ? "The provider is unavailable"
                            : "The provider reported a failure") + suffix), true, retryAfter);
        };
    }

    /**
     * The kind of a failure. A quota or a context that is too long is told by the body whatever the
     * status (llama.cpp reports an overlong prompt as a 500 too); otherwise the status decides, and
     * the body's type or code only when there is no status (an error inside a stream).
     */
    private static ErrorKind classify(int status, ErrorBody error) {
        if (error.quota() || status == 402) {
            return ErrorKind.QUOTA;
        }
        boolean keyOrModel = status == 401 || status == 403 || status == 404 || status == 429;
        if (status == 413 || (!keyOrModel && error.contextTooLong())) {
            return ErrorKind.CONTEXT_TOO_LONG;
        }
        if (status == 401 || status == 403) {
            return ErrorKind.AUTH;
        }
        if (status == 404) {
            return ErrorKind.NOT_FOUND;
        }
        if (status == 429) {
            return ErrorKind.RATE_LIMITED;
        }
        if (status == 408 || status == 409 || status >= 500) {
            return ErrorKind.UNAVAILABLE;
        }
        if (status >= 400) {
            return ErrorKind.REJECTED;
        }
        return ErrorKind.ofName(error.code()).or(() -> ErrorKind.ofName(error.type())).orElse(ErrorKind.UNAVAILABLE);
    }

    /**
     * The stream broke, ended before the provider said the reply was finished, or failed after
     * something reached the sink; retried only when nothing did.
     */
    LanguageModelException interrupted(boolean anythingSent, int status, HttpHeaders headers) {
        return LanguageModelException.error(Diagnostic.error(DiagnosticCode.PROVIDER_STREAM_INTERRUPTED,
                "The provider's reply stream broke off before the reply was finished" + where(status, headers) + "."),
                !anythingSent);
    }

    /** The provider said it was finished but sent no reply text; perhaps only reasoning. */
    LanguageModelException empty(boolean reasoningSent, int status, HttpHeaders headers) {
        return LanguageModelException.error(Diagnostic.error(DiagnosticCode.PROVIDER_EMPTY_RESPONSE,
                (reasoningSent ? "The provider sent reasoning but no reply text"
                        : "The provider answered without any reply text") + where(status, headers) + "."), false);
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
                    "The provider sent neither reply text nor reasoning within " + seconds + ".");
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

    private enum ErrorKind {
        QUOTA, CONTEXT_TOO_LONG, AUTH, NOT_FOUND, RATE_LIMITED, REJECTED, UNAVAILABLE;

        /** The kind an error's type or code names, as OpenAI, Anthropic, vLLM, SGLang and llama.cpp spell them. */
        static Optional<ErrorKind> ofName(String name) {
            return Optional.ofNullable(switch (name.toLowerCase(Locale.ROOT)) {
                case "authentication_error", "permission_error", "invalid_api_key", "authenticationerror",
                     "permissiondeniederror" -> AUTH;
                case "not_found_error", "model_not_found", "notfounderror" -> NOT_FOUND;
                case "rate_limit_error", "rate_limit_exceeded", "ratelimiterror" -> RATE_LIMITED;
                case "invalid_request_error", "badrequesterror", "invalid_request", "bad_request",
                     "unprocessableentityerror", "content_filter", "not_supported_error" -> REJECTED;
                case "overloaded_error", "api_error", "server_error", "internalservererror",
                     "serviceunavailableerror", "unavailable_error", "timeout_error" -> UNAVAILABLE;
                default -> null;
            });
        }
    }

    /**
     * What an error body or event says about its kind. The message is read only to recognise a
     * context that is too long, where servers say so in words alone; it is never repeated.
     */
    private record ErrorBody(String type, String code, int status, boolean quota, boolean contentFilter,
                             boolean contextTooLong) {

        private static final Pattern CONTEXT_WORDS = Pattern.compile(
                "context length|context_length|context size|context window|maximum context|exceeds the available context"
                        + "|prompt is too long|input is too long|too many input tokens",
                Pattern.CASE_INSENSITIVE);

        static ErrorBody of(Optional<JsonNode> body) {
            JsonNode root = body.orElse(MissingNode.getInstance());
            JsonNode error = root.path("error");
            // {"error": {...}}; {"error": "text"} with anything else beside it; or the error fields at the top
            // ({"object": "error", ...}, llama.cpp's bare object).
            JsonNode fields = error.isObject() ? error : root;
            String message = error.isTextual() ? error.asText() : fields.path("message").asText("");
            String type = error.isTextual() ? "" : fields.path("type").asText("");
            JsonNode codeNode = fields.path("code");
            String code = codeNode.isTextual() ? codeNode.asText() : "";
            int status = codeNode.isIntegralNumber() ? codeNode.asInt()
                    : fields.path("status").isIntegralNumber() ? fields.path("status").asInt() : 0;
            String detail = fields.path("details").path("error_code").asText("");
            boolean quota = type.equals("insufficient_quota") || code.equals("insufficient_quota")
                    || type.equals("billing_error") || detail.equals("enforced_spend_limit_reached");
            boolean contentFilter = code.equals("content_filter") || type.equals("content_filter");
            boolean contextTooLong = code.equals("context_length_exceeded") || type.equals("exceed_context_size_error")
                    || type.equals("request_too_large") || CONTEXT_WORDS.matcher(message).find();
            return new ErrorBody(type, code, status, quota, contentFilter, contextTooLong);
        }
    }
}
