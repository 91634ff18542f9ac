package dev.companion.store.journal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The directory a journal lives in: created owner-only, held by one process at a time. */
final class DataDirectory {

    static final String LOCK_FILE = "companion.lock";

    private DataDirectory() {
    }

    static boolean posix(Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /** rw------- where the file system knows POSIX permissions; nothing otherwise. */
    static FileAttribute<?>[] ownerOnlyFile(Path path) {
        return posix(path)
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                : new FileAttribute<?>[0];
    }

    /** Creates the directory rwx------ if it is missing; an existing directory is left as its owner set it. */
    static void create(Path directory) throws IOException {
        if (Files.isDirectory(directory)) {
            return;
        }
        Path parent = directory.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try {
            if (posix(directory)) {
                Files.createDirectory(directory,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } else {
                Files.createDirectory(directory);
            }
        } catch (FileAlreadyExistsException raced) {
            if (!Files.isDirectory(directory)) {
                throw raced;
            }
        }
    }

    /** Makes the directory's entries (a new file, a rename) durable; best effort where unsupported. */
    static void forceEntries(Path directory) {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException | RuntimeException unsupported) {
            // Some platforms cannot open a directory; the entries are then as durable as the OS makes them.
        }
    }

    /**
     * The lock files this JVM holds, by real path. POSIX locks belong to the process: opening and
     * closing a second channel on a held lock file would release the lock for everyone, so a second
     * store in this JVM is refused here, before any channel to the file is opened.
     */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    /**
     * Takes the directory's lock, or returns null when another process (or another store in this JVM)
     * holds it. The lock file stays: deleting it would race with the next holder.
     */
    static Lock lock(Path directory) throws IOException {
        Path key = directory.toRealPath().resolve(LOCK_FILE);
        if (!HELD.add(key)) {
            return null;
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(key,
                    Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE), ownerOnlyFile(key));
        } catch (IOException | RuntimeException e) {
            HELD.remove(key);
            throw e;
        }
        try {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                HELD.remove(key);
                return null;
            }
            return new Lock(key, channel, lock);
        } catch (IOException | RuntimeException e) {
            channel.close();
            HELD.remove(key);
            throw e;
        }
    }

    /** A held directory lock; closing releases it. */
    record Lock(Path key, FileChannel channel, FileLock lock) implements AutoCloseable {

        @Override
        public void close() {
            try {
                lock.release();
            } catch (IOException | RuntimeException ignored) {
                // closing the channel below releases it as well
            }
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing more can be done; the OS releases the lock when the process ends
            }
            HELD.remove(key);
        }
    }
}
