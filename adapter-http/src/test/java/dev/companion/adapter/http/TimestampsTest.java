package dev.companion.adapter.http;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class TimestampsTest {

    @Test
    void writes_exactly_what_instant_to_string_writes_at_every_precision_and_at_the_edges() {
        long[] seconds = {0, -1, 1, 59, 60, 86_399, 86_400, -86_400, -86_401, 951_782_400 /* 2000-02-29 */,
                -62_167_219_200L, -62_167_219_201L, 253_402_300_799L, 253_402_300_800L, -62_135_596_800L,
                Instant.MIN.getEpochSecond(), Instant.MAX.getEpochSecond()};
        int[] nanos = {0, 1, 999_999_999, 1_000_000, 120_000_000, 1_000, 123_456_000, 100, 123_456_789};
        for (long second : seconds) {
            for (int nano : nanos) {
                Instant instant = Instant.ofEpochSecond(second, nano);
                assertThat(Timestamps.iso(instant)).as("%s", instant).isEqualTo(instant.toString());
            }
        }
    }

    @Test
    void writes_exactly_what_instant_to_string_writes_for_a_million_random_instants() {
        SplittableRandom random = new SplittableRandom(20261202);
        for (int i = 0; i < 1_000_000; i++) {
            long second = random.nextLong(-70_000_000_000L, 260_000_000_000L);
            int nano = switch (i % 4) {
                case 0 -> 0;
                case 1 -> random.nextInt(1_000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1_000;
                default -> random.nextInt(1_000_000_000);
            };
            Instant instant = Instant.ofEpochSecond(second, nano);
            assertThat(Timestamps.iso(instant)).as("%s", instant).isEqualTo(instant.toString());
        }
    }
}
