package io.agentbus.redis;

import io.agentbus.ConnectionOptions;
import io.agentbus.TlsOptions;
import io.agentbus.TlsOptions.PeerVerification;
import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisCredentialsProvider;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SslOptions;
import io.lettuce.core.SslVerifyMode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Applies {@link TlsOptions} and the password file of {@link ConnectionOptions} to Lettuce: the
 * {@link SslOptions} of the client and the verification mode and credentials of each node's URI.
 *
 * <p>Rotation: Lettuce builds a new TLS context for every connection it opens, from
 * {@link SslOptions.Resource}s that open their file each time, and asks the credentials provider for
 * the password at every connect; so a certificate, key, CA bundle or password replaced on disk is used
 * by the next reconnect. A handshake that fails on reconnect (the server rotated first) is retried with
 * the reconnect backoff, because {@code suspendReconnectOnProtocolFailure} stays off (see
 * {@code Connections.clientOptions}); with it on, Lettuce would stop reconnecting for good.
 */
final class TransportSecurity {

    private static final Logger log = LoggerFactory.getLogger(TransportSecurity.class);

    private TransportSecurity() {}

    /**
     * Sets the peer verification and credentials of every node of {@code target}.
     *
     * @throws IllegalArgumentException if TLS options are set for a plaintext URI (the bus never falls
     *     back to plaintext), or the URI's {@code verifyPeer} is weaker than the options'
     */
    static void apply(BusUri target, ConnectionOptions options, String shownUri) {
        TlsOptions tls = options.tls();
        requireReadable("TLS caFile", tls.caFile());
        requireReadable("TLS trustStore", tls.trustStore());
        requireReadable("TLS certFile", tls.certFile());
        requireReadable("TLS keyFile", tls.keyFile());
        requireReadable("TLS keyStore", tls.keyStore());
        requireReadable("passwordFile", options.passwordFile());
        boolean anySsl = false;
        for (RedisURI node : target.nodes()) {
            if (node.isSsl()) {
                anySsl = true;
                SslVerifyMode wanted = lettuceMode(tls.verifyPeer());
                if (strength(node.getVerifyMode()) < strength(wanted)) {
                    throw new IllegalArgumentException(shownUri + " asks verifyPeer=" + node.getVerifyMode()
                            + ", which checks the server's certificate less than TlsOptions.verifyPeer "
                            + tls.verifyPeer() + ": remove it from the URI, or set TlsOptions.verifyPeer("
                            + ownMode(node.getVerifyMode()) + ") (CLI --tls-verify " + ownMode(node.getVerifyMode())
                            + ") to accept that risk");
                }
                node.setVerifyPeer(wanted);
            } else if (tls.isConfigured()) {
                throw new IllegalArgumentException("TLS options are set (" + tls + ") but " + shownUri
                        + " is plaintext: use rediss:// (the bus never falls back to plaintext)");
            }
            Optional<Path> passwordFile = options.passwordFile();
            if (passwordFile.isPresent()) {
                node.setCredentialsProvider(new PasswordFile(userBeside(node).orElse(null), passwordFile.get()));
            }
        }
        if (anySsl && tls.verifyPeer() != PeerVerification.FULL) {
            log.warn(
                    "TLS peer verification of {} is {}: {}",
                    shownUri,
                    tls.verifyPeer(),
                    tls.verifyPeer() == PeerVerification.CA
                            ? "the server's name is not checked, so anyone with a certificate of a trusted CA"
                                    + " can pose as the server"
                            : "nothing is checked, so anyone on the network path can pose as the server and"
                                    + " read the password and every message");
        }
    }

    /** The Lettuce TLS settings of {@code tls}; files are opened at every connect, never cached. */
    static SslOptions sslOptions(TlsOptions tls) {
        SslOptions.Builder ssl = SslOptions.builder().jdkSslProvider();
        tls.caFile().ifPresent(file -> ssl.trustManager(resource(file, "caFile")));
        tls.trustStore()
                .ifPresent(file -> ssl.truststore(
                        resource(file, "trustStore"),
                        tls.trustStorePassword().map(String::toCharArray).orElse(new char[0])));
        if (tls.certFile().isPresent()) {
            ssl.keyManager(
                    resource(tls.certFile().get(), "certFile"),
                    resource(tls.keyFile().orElseThrow(), "keyFile"),
                    tls.keyPassword().map(String::toCharArray).orElse(null));
        }
        tls.keyStore()
                .ifPresent(file -> ssl.keystore(
                        resource(file, "keyStore"),
                        tls.keyPassword().map(String::toCharArray).orElse(new char[0])));
        tls.serverName()
                .ifPresent(name -> ssl.sslParameters(() -> {
                    // With an SNI name set, the JDK's trust manager accepts a certificate that names it, whatever
                    // host the socket connected to.
                    SSLParameters parameters = new SSLParameters();
                    parameters.setServerNames(List.of(new SNIHostName(name)));
                    return parameters;
                }));
        return ssl.build();
    }

    /**
     * The user of a node whose password comes from a file: the URI's user, or the user information of a
     * URI without a colon ({@code redis://alice@host}), which Lettuce reads as a password but which,
     * beside a password file, can only name the user.
     */
    private static Optional<String> userBeside(RedisURI node) {
        Optional<String> user = user(node);
        if (user.isPresent()) {
            return user;
        }
        RedisCredentials credentials = credentials(node);
        return credentials != null && credentials.hasPassword() && credentials.getPassword().length > 0
                ? Optional.of(new String(credentials.getPassword()))
                : Optional.empty();
    }

    /** The user a node's URI names, if any; never its password. */
    static Optional<String> user(RedisURI node) {
        if (node.getCredentialsProvider() instanceof PasswordFile file) {
            return Optional.ofNullable(file.user);
        }
        RedisCredentials credentials = credentials(node);
        if (credentials != null
                && credentials.hasUsername()
                && !credentials.getUsername().isEmpty()) {
            return Optional.of(credentials.getUsername());
        }
        return Optional.empty();
    }

    /** The credentials of a URI as Lettuce parsed them (static ones: resolved at once). */
    private static RedisCredentials credentials(RedisURI node) {
        RedisCredentialsProvider provider = node.getCredentialsProvider();
        if (provider == null) {
            return null;
        }
        if (provider instanceof RedisCredentialsProvider.ImmediateRedisCredentialsProvider now) {
            return now.resolveCredentialsNow();
        }
        return provider.resolveCredentials().toFuture().join();
    }

    /** Fails at once, naming the setting, rather than at every reconnect deep inside a handshake. */
    private static void requireReadable(String setting, Optional<Path> file) {
        if (file.isPresent() && !Files.isReadable(file.get())) {
            throw new IllegalArgumentException(setting + " " + file.get() + " is not a readable file");
        }
    }

    private static SslOptions.Resource resource(Path file, String setting) {
        return () -> {
            try {
                return Files.newInputStream(file);
            } catch (IOException e) {
                throw new IOException("cannot read TLS " + setting + " " + file + ": " + e, e);
            }
        };
    }

    private static SslVerifyMode lettuceMode(PeerVerification mode) {
        return switch (mode) {
            case FULL -> SslVerifyMode.FULL;
            case CA -> SslVerifyMode.CA;
            case NONE -> SslVerifyMode.NONE;
        };
    }

    private static PeerVerification ownMode(SslVerifyMode mode) {
        return switch (mode) {
            case FULL -> PeerVerification.FULL;
            case CA -> PeerVerification.CA;
            case NONE -> PeerVerification.NONE;
        };
    }

    private static int strength(SslVerifyMode mode) {
        return switch (mode) {
            case NONE -> 0;
            case CA -> 1;
            case FULL -> 2;
        };
    }

    /** The password read from the first line of a file at every connect, with the URI's user. */
    private static final class PasswordFile implements RedisCredentialsProvider {
        private final String user;
        private final Path file;

        PasswordFile(String user, Path file) {
            this.user = user;
            this.file = file;
        }

        @Override
        public Mono<RedisCredentials> resolveCredentials() {
            return Mono.fromCallable(() -> RedisCredentials.just(user, read()));
        }

        private char[] read() {
            try {
                String text = Files.readString(file, StandardCharsets.UTF_8);
                int end = text.indexOf('\n');
                String line = end < 0 ? text : text.substring(0, end);
                return (line.endsWith("\r") ? line.substring(0, line.length() - 1) : line).toCharArray();
            } catch (IOException e) {
                // The exception names the file, never its content.
                throw new UncheckedIOException("cannot read the password file " + file + ": " + e.getMessage(), e);
            }
        }
    }
}
