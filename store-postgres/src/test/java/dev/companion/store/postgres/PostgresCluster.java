package dev.companion.store.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL cluster for the tests of this JVM: {@code initdb} into a temporary directory,
 * a server on a free port of 127.0.0.1 (its unix socket in that directory too), stopped and deleted
 * when the JVM exits. Started once, on first use, by {@link PostgresDatabase}.
 *
 * <p>PostgreSQL refuses to run as root, and CI runs as root: then the directory is given to the
 * {@code postgres} system user (made by Debian's package) and every command runs as that user
 * through {@code runuser}.
 *
 * <p>{@code fsync=off}: the tests prove what the store does, not that PostgreSQL survives a power
 * cut, and every stop here is a clean one (a checkpoint), so nothing the tests look at depends on
 * it; it keeps the suite quick on shared CI disks. Appends-per-second figures must come from a
 * server with fsync on.
 *
 * <p>Logins over TCP need a password (SCRAM), so the store's password path is the one tested. The
 * unix socket, in the temporary directory, trusts local logins; nothing here uses it.
 */
public final class PostgresCluster {

    public static final String SUPERUSER = "companion";
    public static final String PASSWORD = "fixture-only-password-7f3a";
    private static final Duration READY_DEADLINE = Duration.ofSeconds(60);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(50);
    private static final Duration COMMAND_DEADLINE = Duration.ofSeconds(120);
    private static final String RUN_AS = "postgres";

    private static final Logger LOG = Logger.getLogger(PostgresCluster.class.getName());

    private static PostgresCluster shared;

    private final Path binaries;
    private final Path directory;
    private final Path data;
    private final boolean asRoot;
    private int port;

    private PostgresCluster(Path binaries, Path directory, boolean asRoot) {
        this.binaries = binaries;
        this.directory = directory;
        this.data = directory.resolve("data");
        this.asRoot = asRoot;
    }

    /** The cluster of this JVM, made and started on the first call. */
    public static synchronized PostgresCluster shared() {
        if (shared == null) {
            long began = System.nanoTime();
            PostgresCluster cluster = create();
            Runtime.getRuntime().addShutdownHook(new Thread(cluster::destroy, "postgres-cluster-stop"));
            cluster.start();
            shared = cluster;
            LOG.info(() -> "PostgreSQL test cluster from " + cluster.binaries + " ready on 127.0.0.1:" + cluster.port
                    + (cluster.asRoot ? " (as the postgres user)" : "") + " in "
                    + Duration.ofNanos(System.nanoTime() - began).toMillis() + " ms");
        }
        return shared;
    }

    public int port() {
        return port;
    }

    private static PostgresCluster create() {
        Path binaries = findBinaries().orElseThrow(() -> new IllegalStateException(
                "The PostgreSQL server (initdb, pg_ctl, postgres) is not installed, and the store-postgres tests "
                        + "run against a real one. Install Debian's 'postgresql' package "
                        + "(sudo apt-get install postgresql); .ci/run does this in CI."));
        try {
            Path directory = Files.createTempDirectory("companion-pg-");
            boolean asRoot = ((Integer) Files.getAttribute(directory, "unix:uid")) == 0;
            PostgresCluster cluster = new PostgresCluster(binaries, directory, asRoot);
            if (asRoot) {
                cluster.giveToPostgresUser(directory);
            }
            Path passwordFile = directory.resolve("pwfile");
            Files.writeString(passwordFile, PASSWORD + "\n", StandardCharsets.UTF_8);
            if (asRoot) {
                cluster.giveToPostgresUser(passwordFile);
            }
            cluster.run(List.of(binaries.resolve("initdb").toString(), "-D", cluster.data.toString(),
                    "-U", SUPERUSER, "--pwfile=" + passwordFile, "--auth-host=scram-sha-256", "--auth-local=trust",
                    "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"));
            return cluster;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts the server (on a fresh free port the first time, the same port after {@link #stop()}) and waits until it answers. */
    public synchronized void start() {
        IllegalStateException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            if (port == 0 || attempt > 0) {
                port = freePort();
            }
            try {
                run(List.of(binaries.resolve("pg_ctl").toString(), "-D", data.toString(), "-l",
                        directory.resolve("server.log").toString(), "-w", "-t", Long.toString(READY_DEADLINE.toSeconds()),
                        "-o", "-c listen_addresses=127.0.0.1 -p " + port + " -k " + directory
                                + " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                                + " -c max_connections=200",
                        "start"));
                awaitReady();
                return;
            } catch (IllegalStateException e) {
                // Most likely another build took the port between our probe and the server's bind.
                last = e;
            }
        }
        throw last;
    }

    /** Stops the server cleanly (fast shutdown: open connections are cut), keeping its data. */
    public synchronized void stop() {
        run(List.of(binaries.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "-w", "stop"));
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + READY_DEADLINE.toNanos();
        String lastAnswer = "";
        while (System.nanoTime() - deadline < 0) {
            Result ready = execute(List.of(binaries.resolve("pg_isready").toString(), "-h", "127.0.0.1",
                    "-p", Integer.toString(port), "-U", SUPERUSER, "-t", "2"));
            if (ready.exitCode() == 0) {
                return;
            }
            lastAnswer = ready.output();
            if (ready.exitCode() == 3) {
                throw new IllegalStateException("pg_isready could not run: " + lastAnswer);
            }
            // Poll again shortly: pg_isready answers at once while the server is still starting up.
            LockSupport.parkNanos(POLL_INTERVAL.toNanos());
        }
        throw new IllegalStateException("PostgreSQL did not accept connections within " + READY_DEADLINE
                + ": " + lastAnswer + "\n" + serverLog());
    }

    private void destroy() {
        try {
            execute(List.of(binaries.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop"));
        } finally {
            deleteRecursively(directory);
        }
    }

    public String serverLog() {
        try {
            Path log = directory.resolve("server.log");
            if (!Files.exists(log)) {
                return "";
            }
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(server log unreadable: " + e.getMessage() + ")";
        }
    }

    private void run(List<String> command) {
        Result result = execute(command);
        if (result.exitCode() != 0) {
            throw new IllegalStateException(Path.of(command.get(0)).getFileName() + " failed (exit " + result.exitCode()
                    + "):\n" + result.output() + "\n" + serverLog());
        }
    }

    private record Result(int exitCode, String output) {
    }

    private Result execute(List<String> command) {
        List<String> full = new ArrayList<>();
        if (asRoot) {
            full.addAll(List.of("runuser", "-u", RUN_AS, "--"));
        }
        full.addAll(command);
        try {
            Process process = new ProcessBuilder(full).redirectErrorStream(true).directory(directory.toFile()).start();
            process.getOutputStream().close();
            StringBuilder output = new StringBuilder();
            Thread reader = new Thread(() -> {
                try (InputStream in = process.getInputStream()) {
                    output.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException ignored) {
                    // the process's output is only for failure messages
                }
            }, "postgres-cluster-output");
            reader.start();
            if (!process.waitFor(COMMAND_DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish within " + COMMAND_DEADLINE);
            }
            reader.join(TimeUnit.SECONDS.toMillis(10));
            return new Result(process.exitValue(), output.toString().strip());
        } catch (IOException e) {
            throw new IllegalStateException("could not run " + full.get(0) + ": " + e.getMessage()
                    + (asRoot ? " (running as root, the tests need runuser from util-linux)" : ""), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command.get(0), e);
        }
    }

    private void giveToPostgresUser(Path path) throws IOException {
        UserPrincipalLookupService lookup = path.getFileSystem().getUserPrincipalLookupService();
        UserPrincipal user;
        GroupPrincipal group;
        try {
            user = lookup.lookupPrincipalByName(RUN_AS);
            group = lookup.lookupPrincipalByGroupName(RUN_AS);
        } catch (IOException e) {
            throw new IllegalStateException("Running as root, the tests start PostgreSQL as the '" + RUN_AS
                    + "' system user, which does not exist; install Debian's 'postgresql' package, which makes it.", e);
        }
        PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
        view.setOwner(user);
        view.setGroup(group);
    }

    /** PostgreSQL's binaries: {@code pg_config --bindir} when it names a server, else the newest /usr/lib/postgresql/N/bin. */
    static Optional<Path> findBinaries() {
        try {
            Process process = new ProcessBuilder("pg_config", "--bindir").redirectErrorStream(true).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0
                    && Files.isExecutable(Path.of(out, "initdb")) && Files.isExecutable(Path.of(out, "pg_ctl"))) {
                return Optional.of(Path.of(out));
            }
        } catch (IOException e) {
            // no pg_config: look in Debian's place
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Path debian = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(debian)) {
            return Optional.empty();
        }
        try (Stream<Path> versions = Files.list(debian)) {
            return versions.map(version -> version.resolve("bin"))
                    .filter(bin -> Files.isExecutable(bin.resolve("initdb")) && Files.isExecutable(bin.resolve("pg_ctl")))
                    .max(Comparator.comparingInt(PostgresCluster::majorVersion));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static int majorVersion(Path bin) {
        try {
            return Integer.parseInt(bin.getParent().getFileName().toString());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteRecursively(Path path) {
        try {
            if (Files.isDirectory(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                try (DirectoryStream<Path> children = Files.newDirectoryStream(path)) {
                    for (Path child : children) {
                        deleteRecursively(child);
                    }
                }
            }
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // a temporary directory; the OS cleans up what is left
        }
    }
}
