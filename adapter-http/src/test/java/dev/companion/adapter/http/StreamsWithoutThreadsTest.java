package dev.companion.adapter.http;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Streams are written on the server's IO threads: opening hundreds holds no thread each, and
 * each event is serialised once for all of them, whichever route they read.
 */
class StreamsWithoutThreadsTest {

    private final Fixture fixture = Fixture.start();

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void five_hundred_streams_hold_no_thread_each_and_each_event_is_serialised_once_for_all() throws Exception {
        try (ManyStreams streams = new ManyStreams(fixture.port)) {
            // Warm: the server's worker and IO threads exist before counting.
            streams.open(20, "/api/events", Duration.ofSeconds(30));
            int threadsBefore = Thread.activeCount();
            streams.open(480, "/api/companion/events", Duration.ofSeconds(60));
            int threadsAfter = Thread.activeCount();
            assertThat(threadsAfter - threadsBefore).as("threads started for 480 more streams").isLessThan(16);

            long framesBefore = fixture.server.eventFramesMade();
            long cursorBefore = fixture.runtime.companion().latestCursor();
            fixture.model.script("one ", "two ", "three");
            fixture.sendMessage("hello everyone");
            assertThat(streams.readUntil(stream -> stream.events().stream()
                    .anyMatch(event -> "turn_completed".equals(event.event())), Duration.ofSeconds(60))).isTrue();
            assertThat(streams.readUntil(stream -> stream.events().stream().anyMatch(event ->
                    "state_changed".equals(event.event()) && event.json().get("to").asText().equals("ready")),
                    Duration.ofSeconds(60))).isTrue();

            for (ManyStreams.Stream stream : streams.streams) {
                assertThat(stream.events().stream().filter(event -> "text_delta".equals(event.event()))
                        .map(event -> event.json().get("text").asText()).collect(Collectors.joining()))
                        .isEqualTo("one two three");
            }
            // Every event of the turn was written to hundreds of streams, and serialised once.
            long eventsPublished = fixture.runtime.companion().latestCursor() - cursorBefore;
            List<Long> cursors = streams.streams.get(0).events().stream().map(SseFrames.Frame::cursor).toList();
            assertThat(cursors).isNotEmpty();
            assertThat(fixture.server.eventFramesMade() - framesBefore).isLessThanOrEqualTo(eventsPublished);
        }
    }
}
