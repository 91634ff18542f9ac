package dev.companion.runtime;

import dev.companion.core.Companion;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.InvalidRequestException;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptEntry;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TranscriptPage;
import dev.companion.core.model.TranscriptQuery;
import dev.companion.core.model.TurnId;
import dev.companion.prompts.ClasspathPromptCatalog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class TranscriptPagingTest {

    private final InMemoryTranscriptStore store = new InMemoryTranscriptStore();
    private CompanionRuntime runtime;
    private Companion companion;

    @BeforeEach
    void fill() {
        for (int i = 0; i < 250; i++) {
            store.append(new TranscriptEntry(i % 2 == 0 ? Role.USER : Role.ASSISTANT, "item " + i,
                    Instant.parse("2026-11-24T10:00:00Z").plusSeconds(i), "java", ItemStatus.ACCEPTED, TurnId.random()));
        }
        runtime = CompanionRuntime.builder().prompts(new ClasspathPromptCatalog()).store(store).build();
        companion = runtime.companion();
    }

    @AfterEach
    void close() {
        runtime.close();
    }

    @Test
    void with_no_start_the_newest_page_is_returned() {
        TranscriptPage page = companion.transcript(TranscriptQuery.newest(10));
        assertThat(page.start()).isEqualTo(240);
        assertThat(page.items()).extracting(TranscriptItem::sequence).containsExactly(
                240L, 241L, 242L, 243L, 244L, 245L, 246L, 247L, 248L, 249L);
        assertThat(page.totalItems()).isEqualTo(250);
        assertThat(page.nextStart()).isEmpty();
        assertThat(page.previousStart()).isEqualTo(OptionalLong.of(230));
    }

    @Test
    void a_page_from_the_start_links_forward_but_not_back() {
        TranscriptPage page = companion.transcript(TranscriptQuery.from(0, 50));
        assertThat(page.items()).hasSize(50).first().extracting(TranscriptItem::content).isEqualTo("item 0");
        assertThat(page.nextStart()).isEqualTo(OptionalLong.of(50));
        assertThat(page.previousStart()).isEmpty();
    }

    @Test
    void a_limit_above_the_maximum_is_clamped_with_a_diagnostic() {
        TranscriptPage page = companion.transcript(TranscriptQuery.from(0, 201));
        assertThat(page.limit()).isEqualTo(TranscriptQuery.MAX_LIMIT);
        assertThat(page.items()).hasSize(200);
        assertThat(page.nextStart()).isEqualTo(OptionalLong.of(200));
        assertThat(page.diagnostics()).extracting(Diagnostic::code).containsExactly(DiagnosticCode.LIMIT_CLAMPED);
    }

    @Test
    void limit_zero_gives_the_counts_and_no_items() {
        TranscriptPage page = companion.transcript(TranscriptQuery.from(10, 0));
        assertThat(page.items()).isEmpty();
        assertThat(page.totalItems()).isEqualTo(250);
        assertThat(page.nextStart()).isEqualTo(OptionalLong.of(10));
    }

    @Test
    void start_past_the_end_is_an_empty_page_with_a_diagnostic() {
        TranscriptPage page = companion.transcript(TranscriptQuery.from(1000, 10));
        assertThat(page.items()).isEmpty();
        assertThat(page.nextStart()).isEmpty();
        assertThat(page.previousStart()).isEqualTo(OptionalLong.of(240));
        assertThat(page.diagnostics()).extracting(Diagnostic::code).containsExactly(DiagnosticCode.START_PAST_END);
    }

    @Test
    void the_last_partial_page_ends_at_the_last_item() {
        TranscriptPage page = companion.transcript(TranscriptQuery.from(245, 10));
        assertThat(page.items()).extracting(TranscriptItem::sequence).containsExactly(245L, 246L, 247L, 248L, 249L);
        assertThat(page.nextStart()).isEmpty();
    }

    @Test
    void negative_numbers_are_rejected() {
        assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> TranscriptQuery.from(-1, 10))
                .satisfies(e -> assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.INVALID_PARAMETER));
        assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> TranscriptQuery.from(0, -5));
    }

    @Test
    void items_carry_real_iso_8601_times() {
        TranscriptItem item = companion.transcript(TranscriptQuery.from(0, 1)).items().get(0);
        assertThat(item.createdAt().toString()).isEqualTo("2026-11-24T10:00:00Z");
    }
}
