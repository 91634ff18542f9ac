package dev.companion.app.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A loopback TCP proxy between the browser and the server that the test can cut, as a flaky network
 * or a sleeping laptop would. It listens on 127.0.0.1 at the server's own port number (the server is
 * bound to another loopback address), so the browser's Host and Origin are ones the server admits
 * and nothing in production code needs to know about it. While held, new connections are accepted
 * but not forwarded, so the test decides when the browser gets back in. It can also delay what the
 * event stream delivers while other requests go through, as a congested connection would.
 */
final class CuttableProxy implements AutoCloseable {

    private static final byte[] EVENTS_REQUEST = "GET /api/companion/events".getBytes(StandardCharsets.US_ASCII);

    private final ServerSocket listener;
    private final InetSocketAddress upstream;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicReference<CountDownLatch> gate = new AtomicReference<>(new CountDownLatch(0));
    private final AtomicReference<CountDownLatch> eventsGate = new AtomicReference<>(new CountDownLatch(0));
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile boolean refusing;
    private volatile boolean closed;

    CuttableProxy(InetSocketAddress upstream) throws IOException {
        this.upstream = upstream;
        this.listener = new ServerSocket();
        try {
            listener.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), upstream.getPort()));
        } catch (IOException e) {
            listener.close();
            throw e;
        }
        Thread acceptor = new Thread(this::acceptLoop, "proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** How many connections the browser has opened so far. */
    int accepted() {
        return accepted.get();
    }

    /** Closes every open connection, the event stream among them, and holds new ones. */
    void cutAndHold() {
        gate.set(new CountDownLatch(1));
        for (Socket socket : open) {
            closeQuietly(socket);
        }
    }

    /**
     * Closes every open connection and answers new ones 503 until released, as a restarting
     * reverse proxy would: a browser's EventSource gives up on such an answer for good.
     */
    void cutAndRefuse() {
        refusing = true;
        cutAndHold();
    }

    /** Lets held and new connections through to the server. */
    void release() {
        refusing = false;
        gate.get().countDown();
    }

    /** Keeps what the server sends on event streams from reaching the browser; other requests flow. */
    void delayEvents() {
        eventsGate.set(new CountDownLatch(1));
    }

    /** Delivers what the event streams held back, in order, and lets them flow again. */
    void deliverEvents() {
        eventsGate.get().countDown();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return;
            }
            accepted.incrementAndGet();
            open.add(client);
            Thread connection = new Thread(() -> forward(client), "proxy-connection");
            connection.setDaemon(true);
            connection.start();
        }
    }

    private void forward(Socket client) {
        try {
            if (refusing) {
                refuse(client);
                return;
            }
            if (!gate.get().await(60, TimeUnit.SECONDS) || client.isClosed()) {
                closeQuietly(client);
                return;
            }
            Socket server = new Socket();
            open.add(server);
            server.connect(upstream, 10_000);
            Link link = new Link();
            Thread back = new Thread(() -> pump(server, client, link, false), "proxy-down");
            back.setDaemon(true);
            back.start();
            pump(client, server, link, true);
        } catch (IOException | InterruptedException e) {
            closeQuietly(client);
        }
    }

    private void refuse(Socket client) throws IOException {
        try (client) {
            client.getOutputStream().write(("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            client.getOutputStream().flush();
        } finally {
            open.remove(client);
        }
    }

    /** One browser connection; it carries an event stream once it has asked for one. */
    private static final class Link {
        volatile boolean events;
    }

    /** Copies one direction until either side closes, then closes both. */
    private void pump(Socket from, Socket to, Link link, boolean fromBrowser) {
        byte[] buffer = new byte[8192];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                if (fromBrowser && contains(buffer, n, EVENTS_REQUEST)) {
                    link.events = true;
                }
                if (!fromBrowser && link.events && !eventsGate.get().await(60, TimeUnit.SECONDS)) {
                    return;
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // Cut or closed: both ends go below.
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static boolean contains(byte[] buffer, int length, byte[] wanted) {
        outer:
        for (int i = 0; i + wanted.length <= length; i++) {
            for (int j = 0; j < wanted.length; j++) {
                if (buffer[i + j] != wanted[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private void closeQuietly(Socket socket) {
        open.remove(socket);
        try {
            socket.close();
        } catch (IOException e) {
            // Already gone.
        }
    }

    @Override
    public void close() {
        closed = true;
        release();
        deliverEvents();
        try {
            listener.close();
        } catch (IOException e) {
            // Closing anyway.
        }
        for (Socket socket : open) {
            closeQuietly(socket);
        }
    }
}
