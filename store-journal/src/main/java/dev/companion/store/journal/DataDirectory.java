package dev.companion.store.journal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/** The directory a journal lives in: created owner-only, checked for access by others, held by one process. */
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

    /**
     * Who besides the owner can read or write an entry of the data directory: {@code readers} and
     * {@code writers} are "its group", "others", "its group and others", or empty. {@code name} is
     * the file's base name, a subdirectory's base name followed by {@code /}, or null for the directory
     * itself; never a path.
     */
    record Exposure(String name, String readers, String writers) {
    }

    /**
     * What lets users other than the owner at the transcripts: a directory others may write to (they
     * could delete or replace a journal), and the store's files that others may read or write, in the
     * directory and in its {@code conversations} subdirectory. Empty where the file system has no POSIX
     * permissions. Nothing is changed: the directories are left as their owner set them.
     */
    static List<Exposure> exposures(Path directory) throws IOException {
        List<Exposure> exposures = new ArrayList<>();
        if (!posix(directory)) {
            return exposures;
        }
        exposures(directory, null, DataDirectory::ours, exposures);
        Path conversations = directory.resolve(JournalConversationCatalog.CONVERSATIONS);
        if (Files.isDirectory(conversations, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            exposures(conversations, JournalConversationCatalog.CONVERSATIONS + "/", file -> true, exposures);
        }
        return exposures;
    }

    private static void exposures(Path directory, String name, java.util.function.Predicate<Path> ours,
                                  List<Exposure> exposures) throws IOException {
        // Listing a directory or entering it shows names only; writing to it replaces what is in it.
        String writers = who(Files.getPosixFilePermissions(directory),
                PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);
        if (!writers.isEmpty()) {
            exposures.add(new Exposure(name, "", writers));
        }
        List<Path> files;
        try (Stream<Path> entries = Files.list(directory)) {
            files = entries.filter(ours).filter(Files::isRegularFile).sorted().toList();
        }
        for (Path file : files) {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            String readers = who(permissions, PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ);
            String fileWriters = who(permissions, PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);
            if (!readers.isEmpty() || !fileWriters.isEmpty()) {
                exposures.add(new Exposure(file.getFileName().toString(), readers, fileWriters));
            }
        }
    }

    /**
     * The store's own files: the default journal, its index and the .broken files beside it, the
     * catalogue (and its .broken files), and the lock.
     */
    private static boolean ours(Path file) {
        String name = file.getFileName().toString();
        return name.equals(LOCK_FILE) || name.startsWith(JournalTranscriptStore.JOURNAL_FILE)
                || name.startsWith(CatalogueLog.FILE);
    }

    private static String who(Set<PosixFilePermission> permissions, PosixFilePermission group, PosixFilePermission others) {
        boolean byGroup = permissions.contains(group);
        boolean byOthers = permissions.contains(others);
        return byGroup && byOthers ? "its group and others" : byGroup ? "its group" : byOthers ? "others" : "";
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

    private static final java.time.format.DateTimeFormatter BROKEN_STAMP =
            java.time.format.DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss.SSS'Z'").withZone(java.time.ZoneOffset.UTC);

    /**
     * Keeps bytes cut from a damaged file beside it, as {@code <file>.<time>.broken}, forced to disk
     * before the cut is made; returns the new file's base name (a diagnostic names no path).
     */
    static String keepBroken(Path directory, String fileName, java.time.Instant at, java.nio.ByteBuffer bytes)
            throws IOException {
        String stamp = BROKEN_STAMP.format(at);
        for (int attempt = 0; ; attempt++) {
            String name = fileName + "." + stamp + (attempt == 0 ? "" : "-" + attempt) + ".broken";
            Path path = directory.resolve(name);
            try (FileChannel out = FileChannel.open(path,
                    Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), ownerOnlyFile(path))) {
                while (bytes.hasRemaining()) {
                    out.write(bytes);
                }
                out.force(true);
                forceEntries(directory);
                return name;
            } catch (FileAlreadyExistsException taken) {
                // two repairs in the same millisecond: take the next name
            }
        }
    }

    /** Creates the directory if need be and takes its lock, or refuses: another process holds it. */
    static Lock createAndLock(Path directory) throws IOException {
        create(directory);
        Lock held = lock(directory);
        if (held == null) {
            throw new DataDirectoryLockedException();
        }
        return held;
    }
}
