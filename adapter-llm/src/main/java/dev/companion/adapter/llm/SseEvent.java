package dev.companion.adapter.llm;

import java.util.Objects;

/** One server-sent event: its name ({@code message} when the stream gives none) and its data. */
record SseEvent(String name, String data) {

    SseEvent {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(data, "data");
    }
}
