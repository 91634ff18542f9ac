package dev.companion.app.console;

import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.port.LanguageModelException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.openqa.selenium.Keys;

import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A provider's failure shows in the console as its typed state with its diagnostic, the partial
 * reply stays marked, and the next message goes through.
 */
class ConsoleFailureTest extends ScriptedConsoleTest {

    static Stream<Arguments> failures() {
        return Stream.of(
                Arguments.of(LanguageModelException.error(Diagnostic.error(DiagnosticCode.PROVIDER_AUTH_FAILED,
                        "The provider refused the API key (HTTP 401)."), false), "error", "incomplete"),
                Arguments.of(LanguageModelException.busy(Diagnostic.warning(DiagnosticCode.PROVIDER_RATE_LIMITED,
                        "The provider asked to slow down (HTTP 429); try again in 20 s."),
                        Optional.of(Duration.ofSeconds(20))), "busy", "incomplete"),
                Arguments.of(LanguageModelException.timeout(Diagnostic.error(DiagnosticCode.PROVIDER_IDLE_TIMEOUT,
                        "The reply stopped for longer than 30 s.")), "timeout", "timeout"),
                Arguments.of(LanguageModelException.error(Diagnostic.error(DiagnosticCode.PROVIDER_STREAM_INTERRUPTED,
                        "The reply stream broke before its end."), true), "error", "incomplete"));
    }

    @ParameterizedTest
    @MethodSource("failures")
    void a_failed_reply_shows_its_state_and_diagnostic_and_the_next_message_works(
            LanguageModelException failure, String state, String itemStatus) {
        page.open(server.console());
        server.model.emit("Part of a reply");
        server.model.fail(failure);

        page.type("please answer", Keys.ENTER);

        page.awaitOutcome(state);
        assertThat(page.outcomeText()).contains(failure.diagnostic().message());
        page.await("the diagnostic listed", d -> String.valueOf(page.text("#diagnostics"))
                .contains(failure.diagnostic().code().wireName()));
        page.awaitItemText(1, "Part of a reply");
        assertThat(page.itemStatus(1)).contains(itemStatus);
        // The reply's own bubble says why it ended, in the diagnostic's words.
        assertThat(page.itemEnding(1)).isEqualTo(failure.diagnostic().message());
        assertThat(server.transcript()).extracting(TranscriptItem::status)
                .containsExactly(ItemStatus.ACCEPTED, ItemStatus.valueOf(itemStatus.toUpperCase(java.util.Locale.ROOT)));

        server.model.script("Working again.");
        page.type("once more", Keys.ENTER);
        page.awaitOutcome("completed");
        page.awaitItemText(3, "Working again.");
        assertThat(page.itemEnding(3)).isNull();

        // The diagnostic is stored with the reply, so it still says why after a reload.
        page.open(server.console());
        page.awaitItemText(1, "Part of a reply");
        assertThat(page.itemStatus(1)).contains(itemStatus);
        assertThat(page.itemEnding(1)).isEqualTo(failure.diagnostic().message());
        assertThat(page.itemEnding(3)).isNull();
    }
}
