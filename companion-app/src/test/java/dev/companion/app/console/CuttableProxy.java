package dev.companion.app.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
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
 * but not forwarded, so the test decides when the browser gets back in.
 */
final class CuttableProxy implements AutoCloseable {

    private final ServerSocket listener;
    private final InetSocketAddress upstream;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicReference<CountDownLatch> gate = new AtomicReference<>(new CountDownLatch(0));
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile boolean refusing;
    private volatile boolean closed;

    CuttableProxy(InetSocketAddress upstream) throws IOException {
        this.upstream = upstream;
        this.listener = new ServerSocket();
        listener.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), upstream.getPort()));
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
            if (!refusing && !gate.get().await(60, TimeUnit.SECONDS) || client.isClosed()) {
                closeQuietly(client);
                return;
            }
            Socket server = new Socket();
            open.add(server);
            server.connect(upstream, 10_000);
            Thread back = new Thread(() -> pump(server, client), "proxy-down");
            back.setDaemon(true);
            back.start();
            pump(client, server);
        } catch (IOException | InterruptedException e) {
            closeQuietly(client);
        }
    }

    private void refuse(Socket client) throws IOException {
        try (client) {
            client.getOutputStream().write(("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                    + "Connection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            client.getOutputStream().flush();
        } finally {
            open.remove(client);
        }
    }

    /** Copies one direction until either side closes, then closes both. */
    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[8192];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // Cut or closed: both ends go below.
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
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
