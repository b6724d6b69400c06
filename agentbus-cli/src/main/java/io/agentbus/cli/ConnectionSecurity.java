package io.agentbus.cli;

import io.agentbus.BusOptions;
import io.agentbus.ConnectionOptions;
import io.agentbus.TlsOptions;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The TLS and credential settings of the global options ({@code --tls-*}, {@code --password-file}) and
 * of their environment variables, turned into {@link ConnectionOptions}: so that neither a password nor
 * a key's location need be in the command line, where {@code ps} shows it to every user of the machine.
 * An option given wins over its variable, as {@code --redis} does over {@code AGENTBUS_REDIS_URL}.
 */
final class ConnectionSecurity {

    /** The Redis password, instead of the URI's. */
    static final String PASSWORD_VARIABLE = "AGENTBUS_REDIS_PASSWORD";
    /** The PEM CA bundle, as {@code --tls-ca}. */
    static final String TLS_CA_VARIABLE = "AGENTBUS_TLS_CA";
    /** The PEM client certificate, as {@code --tls-cert}. */
    static final String TLS_CERT_VARIABLE = "AGENTBUS_TLS_CERT";
    /** The PEM client key, as {@code --tls-key}. */
    static final String TLS_KEY_VARIABLE = "AGENTBUS_TLS_KEY";
    /** The password of {@code --tls-keystore}. */
    static final String TLS_KEYSTORE_PASSWORD_VARIABLE = "AGENTBUS_TLS_KEYSTORE_PASSWORD";

    Path passwordFile;
    Path tlsCa;
    Path tlsCert;
    Path tlsKey;
    Path tlsKeyStore;
    Path tlsKeyStorePasswordFile;
    TlsOptions.PeerVerification tlsVerify;
    String tlsServerName;

    private final Map<String, String> environment;

    ConnectionSecurity(Map<String, String> environment) {
        this.environment = environment;
    }

    /** {@code options} with the TLS settings and password file given here or in the environment. */
    BusOptions applyTo(BusOptions options) {
        ConnectionOptions.Builder connection = options.connection().mutate();
        TlsOptions.Builder tls = options.connection().tls().mutate();
        pathOf(tlsCa, TLS_CA_VARIABLE).ifPresent(tls::caFile);
        Optional<Path> cert = pathOf(tlsCert, TLS_CERT_VARIABLE);
        Optional<Path> key = pathOf(tlsKey, TLS_KEY_VARIABLE);
        if (cert.isPresent() != key.isPresent()) {
            throw new IllegalArgumentException(
                    cert.isPresent()
                            ? "--tls-cert (or " + TLS_CERT_VARIABLE + ") needs --tls-key (or " + TLS_KEY_VARIABLE + ")"
                            : "--tls-key (or " + TLS_KEY_VARIABLE + ") needs --tls-cert (or " + TLS_CERT_VARIABLE
                                    + ")");
        }
        if (cert.isPresent()) {
            tls.clientCertificate(cert.get(), key.get());
        }
        if (tlsKeyStore != null) {
            tls.keyStore(tlsKeyStore);
            keyStorePassword().ifPresent(tls::keyPassword);
        }
        if (tlsVerify != null) {
            tls.verifyPeer(tlsVerify);
        }
        if (tlsServerName != null) {
            tls.serverName(tlsServerName);
        }
        connection.tls(tls.build());
        if (passwordFile != null) {
            connection.passwordFile(passwordFile);
        }
        return options.mutate().connection(connection.build()).build();
    }

    /**
     * {@code uri} with the password of {@code AGENTBUS_REDIS_PASSWORD} in it, replacing the URI's (a
     * {@code user@} before the host is then read as the user name); {@code uri} itself without the
     * variable, or when {@code --password-file} is given, which wins.
     */
    String withPassword(String uri) {
        String password = environment.get(PASSWORD_VARIABLE);
        if (password == null || password.isEmpty() || passwordFile != null) {
            return uri;
        }
        int scheme = uri.indexOf("://");
        if (scheme < 0) {
            return uri;
        }
        int hostStart = scheme + 3;
        int authorityEnd = indexOfAny(uri, hostStart, "/?#");
        int at = uri.lastIndexOf('@', authorityEnd - 1);
        String user = "";
        if (at >= hostStart) {
            String userInfo = uri.substring(hostStart, at);
            int colon = userInfo.indexOf(':');
            user = colon < 0 ? userInfo : userInfo.substring(0, colon);
        }
        String encoded = URLEncoder.encode(password, StandardCharsets.UTF_8).replace("+", "%20");
        return uri.substring(0, hostStart) + user + ":" + encoded + "@"
                + uri.substring(at >= hostStart ? at + 1 : hostStart);
    }

    private Optional<String> keyStorePassword() {
        if (tlsKeyStorePasswordFile != null) {
            return Optional.of(firstLine(tlsKeyStorePasswordFile, "--tls-keystore-password-file"));
        }
        return Optional.ofNullable(environment.get(TLS_KEYSTORE_PASSWORD_VARIABLE));
    }

    private Optional<Path> pathOf(Path given, String variable) {
        if (given != null) {
            return Optional.of(given);
        }
        String value = environment.get(variable);
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        return Optional.of(Path.of(value));
    }

    private static String firstLine(Path file, String option) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            int end = text.indexOf('\n');
            String line = end < 0 ? text : text.substring(0, end);
            return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
        } catch (IOException e) {
            throw new IllegalArgumentException(option + " " + file + " cannot be read: " + e.getMessage(), e);
        }
    }

    private static int indexOfAny(String text, int from, String characters) {
        for (int i = from; i < text.length(); i++) {
            if (characters.indexOf(text.charAt(i)) >= 0) {
                return i;
            }
        }
        return text.length();
    }
}
