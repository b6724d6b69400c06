package io.agentbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentbus.TlsOptions.PeerVerification;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TlsOptionsTest {

    @Test
    void defaultsTrustTheJvmAndVerifyFully() {
        TlsOptions defaults = TlsOptions.defaults();

        assertThat(defaults.verifyPeer())
                .isEqualTo(TlsOptions.DEFAULT_VERIFY_PEER)
                .isEqualTo(PeerVerification.FULL);
        assertThat(defaults.caFile()).isEmpty();
        assertThat(defaults.isConfigured()).isFalse();
        assertThat(defaults.hasClientCertificate()).isFalse();
        assertThat(ConnectionOptions.defaults().tls()).isEqualTo(defaults);
    }

    @Test
    void aBuilderRoundTripsThroughMutate() {
        TlsOptions tls = TlsOptions.builder()
                .caFile(Path.of("ca.pem"))
                .clientCertificate(Path.of("client.pem"), Path.of("client.key"))
                .serverName("redis.internal")
                .build();

        assertThat(tls.mutate().build()).isEqualTo(tls);
        assertThat(tls.isConfigured()).isTrue();
        assertThat(tls.hasClientCertificate()).isTrue();
    }

    @Test
    void settingsThatNameTheSameThingTwiceAreRefused() {
        assertThatThrownBy(() -> TlsOptions.builder()
                        .caFile(Path.of("ca.pem"))
                        .trustStore(Path.of("trust.p12"), null)
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("caFile ca.pem and trustStore trust.p12");
        assertThatThrownBy(() -> TlsOptions.builder()
                        .clientCertificate(Path.of("c.pem"), Path.of("c.key"))
                        .keyStore(Path.of("c.p12"))
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("keyStore c.p12 and certFile c.pem");
        assertThatThrownBy(() -> TlsOptions.builder().serverName(" ").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("serverName must be a host name, was ' '");
    }

    @Test
    void passwordsAreMaskedWhenPrinted() {
        TlsOptions tls = TlsOptions.builder()
                .trustStore(Path.of("trust.p12"), "trust-secret")
                .keyStore(Path.of("client.p12"))
                .keyPassword("key-secret")
                .build();

        assertThat(tls.toString()).doesNotContain("secret").contains("trust.p12", "client.p12", "***");
    }
}
