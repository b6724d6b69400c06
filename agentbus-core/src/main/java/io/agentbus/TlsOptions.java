package io.agentbus;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * How a bus speaks TLS to a {@code rediss://} server: whom it trusts, which certificate it shows for
 * mutual TLS, and how strictly it checks the server. Immutable; part of {@link ConnectionOptions#tls()}.
 * docs/SECURITY.md ("TLS and credentials") walks through each setting.
 *
 * <p>Every file is read again on each connect and reconnect, never cached: a certificate, key or CA
 * bundle replaced on disk is used by the next reconnect, without a restart.
 *
 * <p>TLS is on when the URI says {@code rediss://}. Setting any of these options for a plaintext
 * {@code redis://} URI is refused at connect ({@link IllegalArgumentException}): the bus never falls
 * back to plaintext. A URI's own {@code ?verifyPeer=} may not weaken {@link #verifyPeer()}: a URI that
 * asks for less is refused, so that verification is only weakened here, in code, where it is logged.
 *
 * @param caFile             PEM file of the CA certificates trusted to sign the server's certificate
 *                           (a bundle); empty with no {@code trustStore} too: the JVM's default trust store
 * @param trustStore         PKCS#12 or JKS trust store instead of {@code caFile}
 * @param trustStorePassword password of {@code trustStore}, if it has one
 * @param certFile           PEM certificate chain the bus shows for mutual TLS; needs {@code keyFile}
 * @param keyFile            PEM private key (PKCS#8: {@code BEGIN PRIVATE KEY} or, with {@code keyPassword},
 *                           {@code BEGIN ENCRYPTED PRIVATE KEY}) of {@code certFile}
 * @param keyStore           PKCS#12 (or JKS) key store holding the client key and certificate, instead of
 *                           {@code certFile} and {@code keyFile}
 * @param keyPassword        password of {@code keyStore}, or of an encrypted {@code keyFile}
 * @param verifyPeer         how the server's certificate is checked; default {@link #DEFAULT_VERIFY_PEER}
 * @param serverName         the name sent as SNI and accepted in the server's certificate instead of the
 *                           URI's host, for a server reached through an address its certificate does not name
 *                           (a tunnel, a load balancer); default: the URI's host
 */
public record TlsOptions(
        Optional<Path> caFile,
        Optional<Path> trustStore,
        Optional<String> trustStorePassword,
        Optional<Path> certFile,
        Optional<Path> keyFile,
        Optional<Path> keyStore,
        Optional<String> keyPassword,
        PeerVerification verifyPeer,
        Optional<String> serverName) {

    /** The server's certificate must chain to a trusted CA and name the host. */
    public static final PeerVerification DEFAULT_VERIFY_PEER = PeerVerification.FULL;

    private static final TlsOptions DEFAULTS = new TlsOptions(
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            DEFAULT_VERIFY_PEER,
            Optional.empty());

    /** How the server's certificate is checked. Anything but {@link #FULL} logs a warning at connect. */
    public enum PeerVerification {
        /** The certificate chains to a trusted CA and names the host (or {@link #serverName()}). */
        FULL,
        /**
         * The certificate chains to a trusted CA; any name is accepted. Anyone holding a certificate of
         * that CA (for example of another service) can pose as the server.
         */
        CA,
        /**
         * Nothing is checked: the traffic is encrypted, but anyone on the path can pose as the server and
         * read the password and every message. For throwaway tests only.
         */
        NONE
    }

    /** Validates the combination, naming the settings that do not fit together. */
    public TlsOptions {
        Objects.requireNonNull(caFile, "caFile");
        Objects.requireNonNull(trustStore, "trustStore");
        Objects.requireNonNull(trustStorePassword, "trustStorePassword");
        Objects.requireNonNull(certFile, "certFile");
        Objects.requireNonNull(keyFile, "keyFile");
        Objects.requireNonNull(keyStore, "keyStore");
        Objects.requireNonNull(keyPassword, "keyPassword");
        Objects.requireNonNull(verifyPeer, "verifyPeer");
        Objects.requireNonNull(serverName, "serverName");
        if (caFile.isPresent() && trustStore.isPresent()) {
            throw new IllegalArgumentException("caFile " + caFile.get() + " and trustStore " + trustStore.get()
                    + " both name what to trust: give one");
        }
        if (trustStorePassword.isPresent() && trustStore.isEmpty()) {
            throw new IllegalArgumentException("trustStorePassword is set but no trustStore");
        }
        if (certFile.isPresent() != keyFile.isPresent()) {
            throw new IllegalArgumentException("certFile and keyFile go together: "
                    + (certFile.isPresent()
                            ? "certFile " + certFile.get() + " has no keyFile"
                            : "keyFile " + keyFile.get() + " has no certFile"));
        }
        if (keyStore.isPresent() && certFile.isPresent()) {
            throw new IllegalArgumentException("keyStore " + keyStore.get() + " and certFile " + certFile.get()
                    + " both name the client certificate: give one");
        }
        serverName.ifPresent(name -> {
            if (name.isBlank() || name.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("serverName must be a host name, was '" + name + "'");
            }
        });
    }

    /** No files: the JVM's trust store, no client certificate, full verification. */
    public static TlsOptions defaults() {
        return DEFAULTS;
    }

    /** A builder that starts from {@link #defaults()}. */
    public static Builder builder() {
        return new Builder(DEFAULTS);
    }

    /** A builder that starts from these settings. */
    public Builder mutate() {
        return new Builder(this);
    }

    /** Whether anything differs from {@link #defaults()}: such options need a {@code rediss://} URI. */
    public boolean isConfigured() {
        return !equals(DEFAULTS);
    }

    /** Whether a client certificate is set ({@code certFile} or {@code keyStore}), for mutual TLS. */
    public boolean hasClientCertificate() {
        return certFile.isPresent() || keyStore.isPresent();
    }

    /** The settings with both passwords masked: safe to log. */
    @Override
    public String toString() {
        return "TlsOptions[caFile=" + caFile + ", trustStore=" + trustStore + ", trustStorePassword="
                + trustStorePassword.map(p -> "***") + ", certFile=" + certFile + ", keyFile=" + keyFile
                + ", keyStore=" + keyStore + ", keyPassword=" + keyPassword.map(p -> "***") + ", verifyPeer="
                + verifyPeer + ", serverName=" + serverName + "]";
    }

    /** Builds {@link TlsOptions}; {@link #build()} checks that the settings fit together. */
    public static final class Builder {
        private Optional<Path> caFile;
        private Optional<Path> trustStore;
        private Optional<String> trustStorePassword;
        private Optional<Path> certFile;
        private Optional<Path> keyFile;
        private Optional<Path> keyStore;
        private Optional<String> keyPassword;
        private PeerVerification verifyPeer;
        private Optional<String> serverName;

        private Builder(TlsOptions from) {
            caFile = from.caFile();
            trustStore = from.trustStore();
            trustStorePassword = from.trustStorePassword();
            certFile = from.certFile();
            keyFile = from.keyFile();
            keyStore = from.keyStore();
            keyPassword = from.keyPassword();
            verifyPeer = from.verifyPeer();
            serverName = from.serverName();
        }

        /** A PEM bundle of trusted CA certificates. Default: none (the JVM's trust store). */
        public Builder caFile(Path caFile) {
            this.caFile = Optional.of(Objects.requireNonNull(caFile, "caFile"));
            return this;
        }

        /** A PKCS#12 or JKS trust store, with its password or {@code null}. Default: none. */
        public Builder trustStore(Path trustStore, String password) {
            this.trustStore = Optional.of(Objects.requireNonNull(trustStore, "trustStore"));
            this.trustStorePassword = Optional.ofNullable(password);
            return this;
        }

        /** A PEM certificate chain and its PEM (PKCS#8) private key, for mutual TLS. Default: none. */
        public Builder clientCertificate(Path certFile, Path keyFile) {
            this.certFile = Optional.of(Objects.requireNonNull(certFile, "certFile"));
            this.keyFile = Optional.of(Objects.requireNonNull(keyFile, "keyFile"));
            return this;
        }

        /** A PKCS#12 key store with the client key and certificate, for mutual TLS. Default: none. */
        public Builder keyStore(Path keyStore) {
            this.keyStore = Optional.of(Objects.requireNonNull(keyStore, "keyStore"));
            return this;
        }

        /** The password of the key store, or of an encrypted PEM key. Default: none. */
        public Builder keyPassword(String keyPassword) {
            this.keyPassword = Optional.ofNullable(keyPassword);
            return this;
        }

        /** Default {@link TlsOptions#DEFAULT_VERIFY_PEER} ({@code FULL}); weaker modes log a warning at connect. */
        public Builder verifyPeer(PeerVerification verifyPeer) {
            this.verifyPeer = Objects.requireNonNull(verifyPeer, "verifyPeer");
            return this;
        }

        /** The name to send as SNI and to find in the server's certificate. Default: the URI's host. */
        public Builder serverName(String serverName) {
            this.serverName = Optional.of(Objects.requireNonNull(serverName, "serverName"));
            return this;
        }

        /** @throws IllegalArgumentException if two settings name the same thing, or one lacks its partner */
        public TlsOptions build() {
            return new TlsOptions(
                    caFile,
                    trustStore,
                    trustStorePassword,
                    certFile,
                    keyFile,
                    keyStore,
                    keyPassword,
                    verifyPeer,
                    serverName);
        }
    }
}
