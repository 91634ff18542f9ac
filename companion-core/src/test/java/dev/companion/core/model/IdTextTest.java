package dev.companion.core.model;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class IdTextTest {

    @Test
    void an_id_is_one_to_sixty_four_letters_digits_dashes_or_underscores() {
        assertThat(IdText.isWellFormed("a")).isTrue();
        assertThat(IdText.isWellFormed("Turn-09_z")).isTrue();
        assertThat(IdText.isWellFormed("x".repeat(64))).isTrue();
        for (String bad : new String[] {null, "", "x".repeat(65), "a b", "a/b", "a.b", "é", "a\u0000", "a\n", "../x",
                "a%2F", "Ａ"}) {
            assertThat(IdText.isWellFormed(bad)).as(String.valueOf(bad)).isFalse();
        }
        assertThatIllegalArgumentException().isThrownBy(() -> new TurnId("turn/1"));
        assertThatIllegalArgumentException().isThrownBy(() -> new ConversationId("c 1"));
    }

    @Test
    void random_ids_are_version_4_uuids_well_formed_and_distinct() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            String text = IdText.randomUuid();
            UUID uuid = UUID.fromString(text);
            assertThat(uuid.version()).isEqualTo(4);
            assertThat(uuid.variant()).isEqualTo(2);
            assertThat(uuid.toString()).isEqualTo(text);
            assertThat(seen.add(text)).as("distinct").isTrue();
        }
        assertThat(TurnId.random().value()).startsWith("turn-").hasSize(5 + 36);
        assertThat(ConversationId.random().value()).startsWith("c-").hasSize(2 + 36);
        assertThat(IdText.isWellFormed(TurnId.random().value())).isTrue();
    }
}
