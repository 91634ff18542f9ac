package dev.companion.adapter.llm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.adapter.llm.LanguageModels.Kind;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.port.LanguageModelException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The one place failures are typed: every shape of error a server sends, by status and by kind. */
class ProviderErrorMapperTest {

    private final ProviderErrorMapper mapper = new ProviderErrorMapper(Kind.OPENAI, Clock.systemUTC());
    private static final HttpHeaders NO_HEADERS = HttpHeaders.of(Map.<String, List<String>>of(), (a, b) -> true);

    private static JsonNode json(String text) {
        return Json.parseObject(text.getBytes(StandardCharsets.UTF_8)).orElseThrow();
    }

    @ParameterizedTest(name = "HTTP {0}: {1}")
    @CsvSource(delimiter = '|', value = {
            "400|{\"error\":{\"message\":\"bad\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}|PROVIDER_REQUEST_REJECTED|false",
            "400|{\"object\":\"error\",\"message\":\"x\",\"type\":\"BadRequestError\",\"param\":null,\"code\":400}|PROVIDER_REQUEST_REJECTED|false",
            "422|{\"detail\":[{\"type\":\"missing\",\"loc\":[\"body\",\"messages\"]}]}|PROVIDER_REQUEST_REJECTED|false",
            "413|{\"type\":\"error\",\"error\":{\"type\":\"request_too_large\",\"message\":\"Request exceeds the maximum allowed number of bytes.\"}}|PROVIDER_CONTEXT_TOO_LONG|false",
            "500|{\"error\":{\"code\":500,\"message\":\"Context size has been exceeded.\",\"type\":\"server_error\"}}|PROVIDER_CONTEXT_TOO_LONG|false",
            "400|{\"error\":{\"code\":400,\"message\":\"request (4390 tokens) exceeds the available context size (4096 tokens), try increasing it\",\"type\":\"exceed_context_size_error\"}}|PROVIDER_CONTEXT_TOO_LONG|false",
            "400|{\"error\":\"prompt too long; exceeded max context length by 512 tokens\"}|PROVIDER_CONTEXT_TOO_LONG|false",
            "429|{\"error\":{\"message\":\"Rate limit reached: too many tokens per minute\",\"type\":\"tokens\",\"code\":\"rate_limit_exceeded\"}}|PROVIDER_RATE_LIMITED|true",
            "503|{\"error\":{\"code\":503,\"message\":\"Loading model\",\"type\":\"unavailable_error\"}}|PROVIDER_UNAVAILABLE|true",
            "402|{\"error\":{\"code\":402,\"message\":\"Insufficient credits\"}}|PROVIDER_QUOTA_EXCEEDED|false"})
    void a_non_2xx_answer_is_typed_by_its_status_and_body(int status, String body, DiagnosticCode code, boolean retriable) {
        LanguageModelException failure = mapper.fromStatus(status, NO_HEADERS, Optional.of(json(body)));

        assertThat(failure.diagnostic().code()).isEqualTo(code);
        assertThat(failure.retriable()).isEqualTo(retriable);
        assertThat(failure.getMessage()).contains("HTTP " + status).doesNotContain("tokens)", "Loading", "credits");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}|PROVIDER_UNAVAILABLE|true",
            "{\"error\":{\"code\":500,\"message\":\"boom\",\"type\":\"server_error\"}}|PROVIDER_UNAVAILABLE|true",
            "{\"error\":{\"message\":\"please provide at least one prompt\",\"type\":\"BadRequestError\",\"param\":null,\"code\":400}}|PROVIDER_REQUEST_REJECTED|false",
            "{\"object\":\"error\",\"message\":\"The input (5210 tokens) is longer than the model's context length (4096 tokens).\",\"type\":\"BadRequestError\",\"code\":400}|PROVIDER_CONTEXT_TOO_LONG|false",
            "{\"code\":400,\"message\":\"the request exceeds the available context size. try increasing the context size\",\"type\":\"invalid_request_error\"}|PROVIDER_CONTEXT_TOO_LONG|false",
            "{\"error\":{\"code\":429,\"message\":\"slow down\"}}|PROVIDER_RATE_LIMITED|true",
            "{\"error\":{\"message\":\"Incorrect API key\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}|PROVIDER_AUTH_FAILED|false",
            "{\"error\":{\"code\":\"server_error\",\"message\":\"Provider disconnected\"}}|PROVIDER_UNAVAILABLE|true",
            "{\"error\":\"something went wrong\"}|PROVIDER_UNAVAILABLE|true",
            "{}|PROVIDER_UNAVAILABLE|true"})
    void an_error_inside_a_stream_is_typed_by_the_status_it_carries_or_else_its_kind(String event, DiagnosticCode code,
                                                                                   boolean retriable) {
        LanguageModelException failure = mapper.fromStreamError(json(event), 200, NO_HEADERS);

        assertThat(failure.diagnostic().code()).isEqualTo(code);
        assertThat(failure.retriable()).isEqualTo(retriable);
        assertThat(failure.state()).isEqualTo(code == DiagnosticCode.PROVIDER_RATE_LIMITED ? CompanionState.BUSY
                : CompanionState.ERROR);
        assertThat(failure.getMessage()).contains("in its stream").doesNotContain("boom", "slow down", "Incorrect");
    }
}
