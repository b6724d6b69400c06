package io.agentbus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentbus.BusOptions;
import io.agentbus.TlsOptions;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConnectionSecurityTest {

    @Test
    void thePasswordVariableReplacesTheUrisPasswordAndKeepsItsUser() {
        ConnectionSecurity security = new ConnectionSecurity(Map.of("AGENTBUS_REDIS_PASSWORD", "p@ss word:/x"));

        assertThat(security.withPassword("redis://localhost:6379"))
                .isEqualTo("redis://:p%40ss%20word%3A%2Fx@localhost:6379");
        assertThat(security.withPassword("rediss://alice:old@host:6380/2"))
                .isEqualTo("rediss://alice:p%40ss%20word%3A%2Fx@host:6380/2");
        assertThat(security.withPassword("redis://alice@host")).isEqualTo("redis://alice:p%40ss%20word%3A%2Fx@host");
    }

    @Test
    void aPasswordFileWinsOverThePasswordVariable() {
        ConnectionSecurity security = new ConnectionSecurity(Map.of("AGENTBUS_REDIS_PASSWORD", "from-env"));
        security.passwordFile = Path.of("/run/secrets/redis");

        assertThat(security.withPassword("redis://localhost")).isEqualTo("redis://localhost");
        assertThat(security.applyTo(BusOptions.defaults()).connection().passwordFile())
                .contains(Path.of("/run/secrets/redis"));
    }

    @Test
    void tlsFilesComeFromTheOptionsElseFromTheEnvironment() {
        ConnectionSecurity security = new ConnectionSecurity(Map.of(
                "AGENTBUS_TLS_CA", "/env/ca.pem", "AGENTBUS_TLS_CERT", "/env/c.pem", "AGENTBUS_TLS_KEY", "/env/c.key"));
        security.tlsCa = Path.of("/flag/ca.pem");

        TlsOptions tls = security.applyTo(BusOptions.defaults()).connection().tls();

        assertThat(tls.caFile()).contains(Path.of("/flag/ca.pem"));
        assertThat(tls.certFile()).contains(Path.of("/env/c.pem"));
        assertThat(tls.keyFile()).contains(Path.of("/env/c.key"));
        assertThat(tls.verifyPeer()).isEqualTo(TlsOptions.PeerVerification.FULL);
    }

    @Test
    void aCertificateWithoutItsKeyIsAUsageError() {
        ConnectionSecurity security = new ConnectionSecurity(Map.of());
        security.tlsCert = Path.of("client.pem");

        assertThatThrownBy(() -> security.applyTo(BusOptions.defaults()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--tls-cert (or AGENTBUS_TLS_CERT) needs --tls-key");
    }
}
