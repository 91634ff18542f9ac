package dev.companion.core.port;

/** Where a model puts each piece of its reply as it arrives. */
@FunctionalInterface
public interface TextSink {

    void accept(String delta);
}
