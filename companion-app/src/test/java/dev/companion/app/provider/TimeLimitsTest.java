package dev.companion.app.provider;

import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.adapter.cli.CompanionCommandLine.Launcher;
import dev.companion.adapter.cli.CompanionCommandLine.ProviderOptions;
import dev.companion.adapter.cli.CompanionCommandLine.RunningServer;
import dev.companion.adapter.cli.CompanionCommandLine.ServeOptions;
import dev.companion.adapter.cli.CompanionCommandLine.StorageOptions;
import dev.companion.adapter.cli.CompanionCommandLine.TimeLimits;
import dev.companion.adapter.llm.FakeProvider;
import dev.companion.adapter.llm.FakeProvider.HoldUntilClientCloses;
import dev.companion.adapter.llm.FakeProvider.Response;
import dev.companion.adapter.llm.FakeProvider.Send;
import dev.companion.app.AppLaunchers;
import dev.companion.app.provider.Stage.Wire;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The provider time limits given on the command line reach the provider adapter and end a turn as timeout. */
class TimeLimitsTest {

    private static final String KEY = "sk-e2e-time-limits";

    private JsonNode replyWithin(TimeLimits limits, Response script) throws Exception {
        Wire wire = Wire.OPENAI;
        try (FakeProvider provider = new FakeProvider(Response.stream(wire.reply()))) {
            provider.then(script);
            ProviderOptions base = Stage.options(wire, provider);
            ProviderOptions options = new ProviderOptions(base.provider(), base.model(), base.baseUrl(),
                    base.apiKeyEnv(), base.apiKeyFile(), limits);
            Launcher launcher = AppLaunchers.inMemory(Map.of(Stage.KEY_VARIABLE, KEY));
            try (RunningServer server = launcher.serve(new ServeOptions("127.0.0.1", 0, options,
                    new StorageOptions(Optional.empty(), true), Optional.empty()))) {
                AppClient api = new AppClient(server.consoleUri().resolve("/"));
                JsonNode answer = api.sendAndWait("are you there?").json();
                assertThat(api.status().json().path("state").asText()).isEqualTo("ready");
                return answer;
            }
        }
    }

    @Test
    void headers_then_silence_ends_at_the_first_token_limit_given() throws Exception {
        JsonNode answer = replyWithin(new TimeLimits(Optional.empty(), Optional.of(Duration.ofSeconds(1)),
                Optional.empty(), Optional.empty()), Response.streaming(List.of(new HoldUntilClientCloses())));

        assertThat(answer.path("state").asText()).isEqualTo("timeout");
        assertThat(answer.path("outcome").asText()).isEqualTo("timed_out");
        assertThat(answer.path("diagnostics").findValuesAsText("code")).containsExactly("provider_first_token_timeout");
    }

    @Test
    void a_stream_that_stops_after_some_text_ends_at_the_idle_limit_given_and_keeps_the_text() throws Exception {
        byte[] firstText = FakeProvider.firstEvents(Wire.OPENAI.reply(), 2);
        JsonNode answer = replyWithin(new TimeLimits(Optional.empty(), Optional.empty(),
                Optional.of(Duration.ofSeconds(1)), Optional.empty()),
                Response.streaming(List.of(new Send(firstText), new HoldUntilClientCloses())));

        assertThat(answer.path("state").asText()).isEqualTo("timeout");
        assertThat(answer.path("diagnostics").findValuesAsText("code")).containsExactly("provider_idle_timeout");
        assertThat(answer.path("reply").path("status").asText()).isEqualTo("timeout");
        assertThat(answer.path("reply").path("content").asText()).isEqualTo("Hello");
    }
}
