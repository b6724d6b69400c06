package io.agentbus.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Free TCP ports on the loopback interface, for servers and proxies a test starts itself. */
public final class LoopbackPorts {

    private LoopbackPorts() {}

    /**
     * A port on 127.0.0.1 that was free a moment ago. Another process may take it before the caller
     * binds it; the window is short, and a test that cannot afford it should retry.
     *
     * @throws UncheckedIOException if the system has no free port to give
     */
    public static int free() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        }
    }
}
