package dev.companion.store.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;

/**
 * The few file operations the journal needs. A seam so tests can make a write or a force fail the way
 * a full or failing disk does; production uses {@link FileChannel}.
 */
interface JournalFile extends AutoCloseable {

    /** Reads into {@code target} from {@code position}; returns the bytes read, -1 at the end. */
    int read(ByteBuffer target, long position) throws IOException;

    /** Writes all of {@code source} at {@code position}. */
    void write(ByteBuffer source, long position) throws IOException;

    /** Makes everything written so far durable (fsync of the data). */
    void force() throws IOException;

    void truncate(long size) throws IOException;

    long size() throws IOException;

    @Override
    void close() throws IOException;

    /** Opens (creating owner-only when missing) the journal's files. */
    @FunctionalInterface
    interface Opener {

        JournalFile open(Path path) throws IOException;

        Opener CHANNELS = ChannelFile::open;
    }

    /**
     * The real thing. A {@link FileChannel} is closed for every thread when one thread doing I/O on it
     * is interrupted (a cancelled turn, say); so I/O runs with the caller's interrupt flag cleared, and a
     * channel closed by an interrupt anyway is reopened and the (positional, so repeatable) call retried.
     */
    final class ChannelFile implements JournalFile {

        private final Path path;
        private volatile FileChannel channel;
        private volatile boolean closed;

        private ChannelFile(Path path, FileChannel channel) {
            this.path = path;
            this.channel = channel;
        }

        static ChannelFile open(Path path) throws IOException {
            return new ChannelFile(path, openChannel(path));
        }

        private static FileChannel openChannel(Path path) throws IOException {
            return FileChannel.open(path,
                    Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE),
                    DataDirectory.ownerOnlyFile(path));
        }

        private interface Call<T> {
            T on(FileChannel channel) throws IOException;
        }

        private <T> T io(Call<T> call) throws IOException {
            boolean interrupted = Thread.interrupted();
            try {
                for (int attempt = 0; ; attempt++) {
                    FileChannel current = channel;
                    try {
                        return call.on(current);
                    } catch (ClosedChannelException e) {
                        if (closed || attempt >= 2) {
                            throw e;
                        }
                        interrupted |= Thread.interrupted();
                        reopen(current);
                    }
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        private synchronized void reopen(FileChannel broken) throws IOException {
            if (channel == broken && !closed) {
                channel = openChannel(path);
            }
        }

        @Override
        public int read(ByteBuffer target, long position) throws IOException {
            int start = target.position();
            return io(c -> {
                target.position(start);
                return c.read(target, position);
            });
        }

        @Override
        public void write(ByteBuffer source, long position) throws IOException {
            int start = source.position();
            io(c -> {
                source.position(start);
                long at = position;
                while (source.hasRemaining()) {
                    at += c.write(source, at);
                }
                return null;
            });
        }

        @Override
        public void force() throws IOException {
            io(c -> {
                c.force(false);
                return null;
            });
        }

        @Override
        public void truncate(long size) throws IOException {
            io(c -> c.truncate(size));
        }

        @Override
        public long size() throws IOException {
            return io(FileChannel::size);
        }

        @Override
        public synchronized void close() throws IOException {
            closed = true;
            channel.close();
        }
    }
}
