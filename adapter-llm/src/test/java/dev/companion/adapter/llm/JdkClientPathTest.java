package dev.companion.adapter.llm;

import dev.companion.adapter.llm.FakeProvider.Response;
import dev.companion.adapter.llm.LanguageModels.ApiKey;
import dev.companion.adapter.llm.LanguageModels.ProviderSettings;
import dev.companion.adapter.llm.LanguageModels.Timeouts;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.port.CancellationSignal;
import dev.companion.core.port.LanguageModelException;
import dev.companion.core.port.ModelResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The path every https provider takes (the JDK's HttpClient, sent on the turn's thread, a wait for
 * the head ended by an interrupt), reached over loopback http.
 */
class JdkClientPathTest {

    private final FakeProvider fake = new FakeProvider();
    private final RecordingSleeper sleeper = new RecordingSleeper();

    @AfterEach
    void stop() throws IOException {
        fake.close();
    }

    private OpenAiCompatibleLanguageModel model(URI baseUrl, Timeouts timeouts) {
        ProviderSettings settings = ProviderSettings.openAi(baseUrl, "gpt-4o-mini", Optional.of(ApiKey.of("sk-test-key")))
                .withTimeouts(timeouts);
        OpenAiCompatibleLanguageModel model = new OpenAiCompatibleLanguageModel(settings, sleeper, Clock.systemUTC());
        model.useJdkClient();
        return model;
    }

    @Test
    void a_reply_streams_through_the_jdk_client() {
        fake.then(Response.stream(FakeProvider.fixture("openai/chat-stream.sse")));

        Calls.Outcome outcome = Calls.call(model(fake.baseUrl("/v1"), Calls.generous()));

        assertThat(outcome.failure()).isNull();
        assertThat(outcome.text()).isNotEmpty();
        assertThat(outcome.result().ending()).isEqualTo(ModelResult.Ending.COMPLETED);
    }

    @Test
    void a_head_that_never_comes_ends_in_the_first_token_limit_and_leaves_the_thread_uninterrupted() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Socket> held = new ArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(silent.accept()); // accepted, read from never, answered never
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            Timeouts timeouts = new Timeouts(Duration.ofSeconds(10), Duration.ofMillis(300), Duration.ofSeconds(30),
                    Duration.ofSeconds(60));
            OpenAiCompatibleLanguageModel model = model(URI.create("http://127.0.0.1:" + silent.getLocalPort() + "/v1"), timeouts);

            assertThatExceptionOfType(LanguageModelException.class)
                    .isThrownBy(() -> model.stream(Calls.request(), delta -> { }, new CancellationSignal()))
                    .satisfies(failure -> {
                        assertThat(failure.state()).isEqualTo(CompanionState.TIMEOUT);
                        assertThat(failure.diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_FIRST_TOKEN_TIMEOUT);
                    });
            // The watchdog's interrupt was for the wait it ended, not for whatever this thread does next.
            assertThat(Thread.currentThread().isInterrupted()).isFalse();
        }
    }

    @Test
    void a_cancel_while_the_reply_streams_returns_a_cancelled_result() {
        fake.then(Response.streaming(List.of(new FakeProvider.Send(FakeProvider.firstEvents(
                FakeProvider.fixture("openai/chat-stream.sse"), 2)), new FakeProvider.HoldUntilClientCloses())));
        CancellationSignal cancellation = new CancellationSignal();

        Calls.Outcome outcome = Calls.call(model(fake.baseUrl("/v1"), Calls.generous()), Calls.request(), cancellation,
                delta -> cancellation.cancel());

        assertThat(outcome.failure()).isNull();
        assertThat(outcome.result().ending()).isEqualTo(ModelResult.Ending.CANCELLED);
    }
}
