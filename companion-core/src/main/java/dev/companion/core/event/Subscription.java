package dev.companion.core.event;

/** A live subscription to events; closing it stops delivery. Closing twice is harmless. */
public interface Subscription extends AutoCloseable {

    @Override
    void close();
}
