package io.agentbus.redis;

import io.agentbus.AgentBusException;
import io.agentbus.BusAuthException;
import io.agentbus.ConnectionOptions;
import io.agentbus.connect.AuthRequiredException;
import io.agentbus.connect.BusTlsException;
import io.agentbus.connect.CertificateNotTrustedException;
import io.agentbus.connect.ClientCertificateRequiredException;
import io.agentbus.connect.ConnectTimeoutException;
import io.agentbus.connect.ConnectionRefusedException;
import io.agentbus.connect.HostNotFoundException;
import io.agentbus.connect.HostnameMismatchException;
import io.agentbus.connect.PlaintextToTlsPortException;
import io.agentbus.connect.TlsToPlaintextPortException;
import io.agentbus.connect.UserRejectedException;
import io.agentbus.connect.WrongPasswordException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.protocol.RedisProtocolException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Names the cause of a failed connect, each with its own exception: DNS, refused, timeout, the three
 * ways Redis refuses credentials, and the TLS failures. Lettuce reports most of them as one
 * {@code RedisConnectionException("Unable to connect to host/<unresolved>:port")}; the cause chain
 * under it says which. Messages name the user, never a password.
 */
final class ConnectErrors {

    private ConnectErrors() {}

    /**
     * {@code failure} of connecting to {@code node} as the exception that names its cause; as is if it is
     * already the bus's; {@code null} if the cause is none of those known here.
     */
    static AgentBusException map(Throwable failure, RedisURI node, ConnectionOptions options, String shownUri) {
        if (failure instanceof AgentBusException known) {
            return known;
        }
        String prefix = "cannot connect to " + shownUri + ": ";
        String address = node.getHost() + ":" + node.getPort();
        String reply = redisError(failure);
        if (reply != null) {
            String user = TransportSecurity.user(node).orElse("default");
            String code = reply.split(" ", 2)[0];
            if (code.equals("NOAUTH")) {
                return new AuthRequiredException(
                        prefix + "Redis requires a password and none was given (NOAUTH): put it in the URI, in a"
                                + " password file, or in AGENTBUS_REDIS_PASSWORD for the CLI",
                        failure);
            }
            if (code.equals("WRONGPASS") && user.equals("default")) {
                return new WrongPasswordException(
                        prefix + "Redis refused the password of the default user (WRONGPASS)", failure);
            }
            if (code.equals("WRONGPASS")) {
                return new UserRejectedException(
                        prefix + "Redis refused user '" + user + "' (WRONGPASS): no such user, the user is"
                                + " disabled, or the password is wrong (Redis does not say which)",
                        failure);
            }
            if (code.equals("NOPERM")) {
                return new BusAuthException(
                        prefix + "user '" + user + "' may not run a command the bus connects with: " + reply, failure);
            }
        }
        UnknownHostException unknownHost = find(failure, UnknownHostException.class);
        if (unknownHost != null) {
            return new HostNotFoundException(
                    prefix + "host '" + node.getHost() + "' not found: DNS has no address for it", failure);
        }
        if (find(failure, io.netty.channel.ConnectTimeoutException.class) != null
                || find(failure, SocketTimeoutException.class) != null) {
            return new ConnectTimeoutException(
                    prefix + "no answer from " + address + " within " + options.connectTimeout()
                            + " (connectTimeout): a firewall that drops packets, an address nobody has, or a"
                            + " server too busy to accept",
                    failure);
        }
        ConnectException refused = find(failure, ConnectException.class);
        if (refused != null) {
            return new ConnectionRefusedException(
                    prefix + "connection refused by " + address + ": nothing listens there (is redis-server"
                            + " running, and on this port?)",
                    failure);
        }
        if (find(failure, RedisProtocolException.class) != null) {
            return new AgentBusException(
                    prefix + address + " answered with something that is not the Redis protocol (an HTTP server, a"
                            + " proxy?): "
                            + find(failure, RedisProtocolException.class).getMessage(),
                    failure);
        }
        if (node.isSsl()) {
            AgentBusException tls = tlsFailure(failure, node, prefix, address);
            if (tls != null) {
                return tls;
            }
            // A plaintext Redis reads a TLS hello as the start of an inline command and waits for its end:
            // the handshake times out.
            if (speaksPlaintextRedis(node, options)) {
                return new TlsToPlaintextPortException(
                        prefix + address + " speaks plaintext, not TLS: use the server's tls-port, or redis:// where"
                                + " plaintext is acceptable",
                        failure);
            }
        } else if (speaksTls(node, options)) {
            return new PlaintextToTlsPortException(
                    prefix + address + " speaks TLS but the URI is plaintext: use rediss://", failure);
        }
        if (find(failure, RedisCommandTimeoutException.class) != null) {
            return new ConnectTimeoutException(
                    prefix + address + " accepted the connection but did not answer within " + options.connectTimeout()
                            + " (connectTimeout)",
                    failure);
        }
        return null;
    }

    /** Whether the port answers a plaintext {@code PING} as Redis does ({@code +PONG} or an error line). */
    private static boolean speaksPlaintextRedis(RedisURI node, ConnectionOptions options) {
        try (Socket socket = new Socket()) {
            int millis = (int) Math.min(options.connectTimeout().toMillis(), 2_000);
            socket.connect(new InetSocketAddress(node.getHost(), node.getPort()), millis);
            socket.setSoTimeout(millis);
            socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            int first = socket.getInputStream().read();
            return first == '+' || first == '-';
        } catch (IOException e) {
            return false;
        }
    }

    private static AgentBusException tlsFailure(Throwable failure, RedisURI node, String prefix, String address) {
        String text = messages(failure).toLowerCase(Locale.ROOT);
        if (find(failure, io.netty.handler.ssl.NotSslRecordException.class) != null
                || text.contains("unsupported or unrecognized ssl message")
                || text.contains("not an ssl/tls record")) {
            return new TlsToPlaintextPortException(
                    prefix + address + " does not speak TLS: use the server's tls-port, or redis:// where"
                            + " plaintext is acceptable",
                    failure);
        }
        if (text.contains("certificate_required")
                || text.contains("bad_certificate")
                || text.contains("unknown_ca") && !text.contains("pkix")) {
            return new ClientCertificateRequiredException(
                    prefix + "the server requires a client certificate it trusts (mutual TLS): set one"
                            + " (TlsOptions.clientCertificate, CLI --tls-cert and --tls-key)",
                    failure);
        }
        if (find(failure, CertPathValidatorException.class) != null
                || text.contains("pkix path")
                || text.contains("unable to find valid certification path")) {
            return new CertificateNotTrustedException(
                    prefix + "the server's certificate is not signed by a trusted CA: give the CA that signed"
                            + " it (TlsOptions.caFile, CLI --tls-ca)",
                    failure);
        }
        CertificateException certificate = find(failure, CertificateException.class);
        if (certificate != null && (text.contains("no subject alternative") || text.contains("no name matching"))) {
            return new HostnameMismatchException(
                    prefix + "the server's certificate does not name '" + node.getHost() + "' ("
                            + certificate.getMessage() + "): connect by a name it has, or set"
                            + " TlsOptions.serverName",
                    failure);
        }
        SSLException ssl = find(failure, SSLException.class);
        if (ssl != null) {
            return new BusTlsException(
                    prefix + "TLS handshake with " + address + " failed: " + ssl.getMessage(), failure);
        }
        if (find(failure, IOException.class) != null && text.contains("cannot read tls")) {
            return new BusTlsException(prefix + find(failure, IOException.class).getMessage(), failure);
        }
        return null;
    }

    /**
     * Whether the port of a plaintext URI completes a TLS handshake: a TLS port closes a plaintext
     * connection without a word, which Lettuce reports like any closed connection. Only asked after a
     * connect failed, so the probe costs nothing on the way to a working bus.
     */
    private static boolean speaksTls(RedisURI node, ConnectionOptions options) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new AnyCertificate()}, null);
            try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
                int millis = (int) Math.min(options.connectTimeout().toMillis(), 2_000);
                socket.connect(new InetSocketAddress(node.getHost(), node.getPort()), millis);
                socket.setSoTimeout(millis);
                socket.startHandshake();
                return true;
            }
        } catch (IOException | java.security.GeneralSecurityException e) {
            return false;
        }
    }

    /** The first Redis error reply in the cause chain, e.g. {@code WRONGPASS invalid username-password pair}. */
    private static String redisError(Throwable failure) {
        RedisCommandExecutionException reply = find(failure, RedisCommandExecutionException.class);
        return reply == null || reply.getMessage() == null ? null : reply.getMessage();
    }

    private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        for (Throwable error = failure; error != null; error = error.getCause()) {
            if (type.isInstance(error)) {
                return type.cast(error);
            }
            for (Throwable suppressed : error.getSuppressed()) {
                if (type.isInstance(suppressed)) {
                    return type.cast(suppressed);
                }
            }
            if (error.getCause() == error) {
                break;
            }
        }
        return null;
    }

    private static String messages(Throwable failure) {
        StringBuilder text = new StringBuilder();
        for (Throwable error = failure; error != null && error.getCause() != error; error = error.getCause()) {
            text.append(error.getClass().getName())
                    .append(": ")
                    .append(error.getMessage())
                    .append(" | ");
        }
        return text.toString();
    }

    /** Trusts any certificate: used only to learn whether a port speaks TLS, never to send data. */
    private static final class AnyCertificate implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
