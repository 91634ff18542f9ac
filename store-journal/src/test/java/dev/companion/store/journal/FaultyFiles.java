package dev.companion.store.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Real files whose journal can be told to fail the way a full or failing disk does: a write that stores
 * nothing or half and then throws, a force that throws, a truncate that throws. Counts writes and forces,
 * and can hold a force until a test lets it go.
 */
final class FaultyFiles implements JournalFile.Opener {

    volatile boolean failWrites;
    volatile boolean writeHalfBeforeFailing;
    volatile boolean failForces;
    volatile boolean failTruncates;
    /** Makes forces of the index (not the journal) fail. */
    volatile boolean failIndexForces;
    /** Makes writes and forces of the conversation catalogue fail. */
    volatile boolean failCatalogue;
    /** When set, each journal force waits here (at most 10 s) before it runs. */
    volatile CountDownLatch forceGate;
    /** A permit each time a journal force begins (before it waits at the gate). */
    final Semaphore forceEntered = new Semaphore(0);

    final AtomicInteger journalWrites = new AtomicInteger();
    final AtomicInteger journalForces = new AtomicInteger();
    /** A permit for every journal write and force that went through, to wait on with a deadline. */
    final Semaphore written = new Semaphore(0);
    final Semaphore forced = new Semaphore(0);

    void heal() {
        failWrites = false;
        writeHalfBeforeFailing = false;
        failForces = false;
        failTruncates = false;
        failIndexForces = false;
        failCatalogue = false;
        forceGate = null;
    }

    void resetCounts() {
        journalWrites.set(0);
        journalForces.set(0);
        written.drainPermits();
        forced.drainPermits();
        forceEntered.drainPermits();
    }

    @Override
    public JournalFile open(Path path) throws IOException {
        JournalFile real = JournalFile.Opener.CHANNELS.open(path);
        if (path.getFileName().toString().endsWith(".idx")) {
            return failing(real, () -> false, () -> failIndexForces);
        }
        if (path.getFileName().toString().endsWith(".catalog")) {
            return failing(real, () -> failCatalogue, () -> failCatalogue);
        }
        if (!path.getFileName().toString().endsWith(".journal")) {
            return real;
        }
        return new JournalFile() {
            @Override
            public int read(ByteBuffer target, long position) throws IOException {
                return real.read(target, position);
            }

            @Override
            public void write(ByteBuffer source, long position) throws IOException {
                if (failWrites) {
                    if (writeHalfBeforeFailing) {
                        ByteBuffer half = source.duplicate();
                        half.limit(half.position() + half.remaining() / 2);
                        real.write(half, position);
                    }
                    throw new IOException("No space left on device");
                }
                real.write(source, position);
                journalWrites.incrementAndGet();
                written.release();
            }

            @Override
            public void force() throws IOException {
                CountDownLatch gate = forceGate;
                forceEntered.release();
                if (gate != null) {
                    try {
                        gate.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                journalForces.incrementAndGet();
                if (failForces) {
                    throw new IOException("Input/output error");
                }
                real.force();
                forced.release();
            }

            @Override
            public void truncate(long size) throws IOException {
                if (failTruncates) {
                    throw new IOException("Input/output error");
                }
                real.truncate(size);
            }

            @Override
            public long size() throws IOException {
                return real.size();
            }

            @Override
            public void close() throws IOException {
                real.close();
            }
        };
    }

    private static JournalFile failing(JournalFile real, BooleanSupplier failWrites, BooleanSupplier failForces) {
        return new JournalFile() {
            @Override
            public int read(ByteBuffer target, long position) throws IOException {
                return real.read(target, position);
            }

            @Override
            public void write(ByteBuffer source, long position) throws IOException {
                if (failWrites.getAsBoolean()) {
                    throw new IOException("No space left on device");
                }
                real.write(source, position);
            }

            @Override
            public void force() throws IOException {
                if (failForces.getAsBoolean()) {
                    throw new IOException("Input/output error");
                }
                real.force();
            }

            @Override
            public void truncate(long size) throws IOException {
                real.truncate(size);
            }

            @Override
            public long size() throws IOException {
                return real.size();
            }

            @Override
            public void close() throws IOException {
                real.close();
            }
        };
    }
}
