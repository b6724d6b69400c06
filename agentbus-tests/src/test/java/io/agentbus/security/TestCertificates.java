package io.agentbus.security;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates made at test time with the {@code openssl} command (none is committed): a private CA, a
 * server certificate for {@code 127.0.0.1} and {@code localhost}, a client certificate for mutual TLS,
 * and a second CA that trusts none of them. Keys are EC P-256 in PKCS#8 PEM, as Redis and Netty read them.
 */
final class TestCertificates {

    final Path dir;
    final Path caCert;
    final Path caKey;
    final Path serverCert;
    final Path serverKey;
    final Path clientCert;
    final Path clientKey;
    final Path otherCaCert;

    private TestCertificates(Path dir) {
        this.dir = dir;
        caCert = dir.resolve("ca.crt");
        caKey = dir.resolve("ca.key");
        serverCert = dir.resolve("server.crt");
        serverKey = dir.resolve("server.key");
        clientCert = dir.resolve("client.crt");
        clientKey = dir.resolve("client.key");
        otherCaCert = dir.resolve("other-ca.crt");
    }

    /** Makes the set in {@code dir}; skips the test (an assumption) where no {@code openssl} is on PATH. */
    static TestCertificates create(Path dir) throws IOException {
        assumeTrue(onPath("openssl"), "no openssl on PATH to make test certificates with");
        TestCertificates certificates = new TestCertificates(dir);
        certificates.makeCa("ca", "agentbus test CA");
        certificates.makeCa("other-ca", "agentbus unrelated CA");
        certificates.sign("server", "localhost", "serverAuth", "IP:127.0.0.1,DNS:localhost", "ca");
        certificates.sign("client", "agentbus-client", "clientAuth", null, "ca");
        return certificates;
    }

    /**
     * A new CA named {@code name} and a server certificate signed by it, written to
     * {@code <name>.crt} / {@code <name>-server.crt} / {@code <name>-server.key}: what a rotation installs.
     */
    Path[] rotatedServer(String name) throws IOException {
        makeCa(name, "agentbus rotated CA " + name);
        sign(name + "-server", "localhost", "serverAuth", "IP:127.0.0.1,DNS:localhost", name);
        return new Path[] {
            dir.resolve(name + ".crt"), dir.resolve(name + "-server.crt"), dir.resolve(name + "-server.key")
        };
    }

    /** A PKCS#12 key store with the client key and certificate, protected by {@code password}. */
    Path clientKeyStore(String password) throws IOException {
        Path store = dir.resolve("client.p12");
        openssl(List.of(
                "pkcs12",
                "-export",
                "-in",
                clientCert.toString(),
                "-inkey",
                clientKey.toString(),
                "-out",
                store.toString(),
                "-passout",
                "pass:" + password));
        return store;
    }

    private void makeCa(String name, String commonName) throws IOException {
        openssl(List.of(
                "req",
                "-x509",
                "-new",
                "-nodes",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-keyout",
                dir.resolve(name + ".key").toString(),
                "-out",
                dir.resolve(name + ".crt").toString(),
                "-days",
                "2",
                "-subj",
                "/CN=" + commonName));
    }

    private void sign(String name, String commonName, String usage, String subjectAltNames, String ca)
            throws IOException {
        Path csr = dir.resolve(name + ".csr");
        Path extensions = dir.resolve(name + ".ext");
        Files.writeString(
                extensions,
                "basicConstraints=CA:FALSE\nextendedKeyUsage=" + usage + "\n"
                        + (subjectAltNames != null ? "subjectAltName=" + subjectAltNames + "\n" : ""));
        openssl(List.of(
                "req",
                "-new",
                "-nodes",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-keyout",
                dir.resolve(name + ".key").toString(),
                "-out",
                csr.toString(),
                "-subj",
                "/CN=" + commonName));
        openssl(List.of(
                "x509",
                "-req",
                "-in",
                csr.toString(),
                "-CA",
                dir.resolve(ca + ".crt").toString(),
                "-CAkey",
                dir.resolve(ca + ".key").toString(),
                "-CAcreateserial",
                "-out",
                dir.resolve(name + ".crt").toString(),
                "-days",
                "2",
                "-extfile",
                extensions.toString()));
    }

    private static void openssl(List<String> args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(args);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    static boolean onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, name))) {
                return true;
            }
        }
        return false;
    }
}
