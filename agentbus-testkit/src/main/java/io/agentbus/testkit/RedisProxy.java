package io.agentbus.testkit;

import io.agentbus.embedded.LocalRedis;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.netcrusher.core.reactor.NioReactor;
import org.netcrusher.tcp.TcpCrusher;
import org.netcrusher.tcp.TcpCrusherBuilder;

/**
 * A TCP proxy (NetCrusher) in front of a test server, for network faults that hit only the clients
 * connected through it: others keep their direct connection to {@link LocalRedis#uri()}.
 *
 * <pre>{@code
 * try (RedisProxy proxy = RedisProxy.open(redis);
 *         AgentBus cutOff = AgentBus.connect(proxy.uri(), options)) {
 *     proxy.disconnect();   // connections drop, new ones are refused
 *     proxy.reconnect();    // the client's reconnect succeeds again
 * }
 * }</pre>
 */
public final class RedisProxy implements AutoCloseable {

    private static final String HOST = "127.0.0.1";

    private final NioReactor reactor;
    private final TcpCrusher crusher;

    private RedisProxy(NioReactor reactor, TcpCrusher crusher) {
        this.reactor = reactor;
        this.crusher = crusher;
    }

    /**
     * Opens a proxy to {@code redis} on a free loopback port ({@link LoopbackPorts#free()}).
     *
     * @throws UncheckedIOException if the proxy cannot start
     */
    public static RedisProxy open(LocalRedis redis) {
        NioReactor reactor;
        try {
            reactor = new NioReactor();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the proxy's reactor", e);
        }
        try {
            TcpCrusher crusher = TcpCrusherBuilder.builder()
                    .withReactor(reactor)
                    .withBindAddress(HOST, LoopbackPorts.free())
                    .withConnectAddress(redis.host(), redis.port())
                    .buildAndOpen();
            return new RedisProxy(reactor, crusher);
        } catch (RuntimeException e) {
            reactor.close();
            throw e;
        }
    }

    /** The URI clients connect to, in place of the server's own. */
    public String uri() {
        return "redis://" + HOST + ":" + crusher.getBindAddress().getPort();
    }

    /** Stops listening and closes every proxied connection: the server is gone, for these clients. */
    public void disconnect() {
        crusher.close();
    }

    /** Listens again on the same port after {@link #disconnect()}. */
    public void reconnect() {
        crusher.open();
    }

    /** Closes every proxied connection but keeps listening: a connection reset that clients can recover from at once. */
    public void resetConnections() {
        crusher.closeAllPairs();
    }

    /** Stops moving bytes, both ways, while keeping connections open: a half-open network. */
    public void freeze() {
        crusher.freeze();
    }

    /** Moves bytes again after {@link #freeze()}. */
    public void unfreeze() {
        crusher.unfreeze();
    }

    /** Closes the proxy and every connection through it; safe to call after {@link #disconnect()}. */
    @Override
    public void close() {
        crusher.close();
        reactor.close();
    }
}
