package io.agentbus.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentbus.Backoff;
import io.agentbus.BusOptions;
import io.agentbus.ConnectionOptions;
import io.agentbus.Durability;
import io.agentbus.Retention;
import io.agentbus.TlsOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

class AgentBusPropertiesTest {

    @Test
    void unsetPropertiesKeepEveryCoreDefault() {
        BusOptions options = bind(Map.of()).toBusOptions().build();

        BusOptions defaults = BusOptions.defaults();
        assertThat(options.connection()).isEqualTo(defaults.connection());
        assertThat(options.send()).isEqualTo(defaults.send());
        assertThat(options.delivery().toString()).isEqualTo(defaults.delivery().toString());
        assertThat(options.consumer()).isEqualTo(defaults.consumer());
        assertThat(options.auditCap()).isEqualTo(defaults.auditCap());
    }

    @Test
    void eachPropertyReachesItsSetting() {
        BusOptions options = bind(Map.ofEntries(
                        Map.entry("agentbus.password-file", "/run/secrets/redis"),
                        Map.entry("agentbus.audit-cap", "0"),
                        Map.entry("agentbus.connection.command-timeout", "2s"),
                        Map.entry("agentbus.connection.reconnect-max-delay", "500ms"),
                        Map.entry("agentbus.connection.disconnected-sends", "buffer"),
                        Map.entry("agentbus.tls.ca-file", "/etc/ca.pem"),
                        Map.entry("agentbus.tls.verify-peer", "ca"),
                        Map.entry("agentbus.send.durability", "aof-always"),
                        Map.entry("agentbus.send.max-inbox-length", "50000"),
                        Map.entry("agentbus.delivery.visibility-timeout", "1s"),
                        Map.entry("agentbus.delivery.max-attempts", "3"),
                        Map.entry("agentbus.delivery.backoff.initial", "50ms"),
                        Map.entry("agentbus.consumer.prefetch", "4"),
                        Map.entry("agentbus.consumer.shutdown-timeout", "3s"),
                        Map.entry("agentbus.consumer.inbox-retention.max-age", "1h")))
                .toBusOptions()
                .build();

        assertThat(options.auditCap()).isZero();
        assertThat(options.connection().passwordFile()).contains(Path.of("/run/secrets/redis"));
        assertThat(options.connection().commandTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(options.connection().reconnectMinDelay()).isEqualTo(ConnectionOptions.DEFAULT_RECONNECT_MIN_DELAY);
        assertThat(options.connection().reconnectMaxDelay()).isEqualTo(Duration.ofMillis(500));
        assertThat(options.connection().disconnectedSends()).isEqualTo(ConnectionOptions.DisconnectedSends.BUFFER);
        assertThat(options.connection().tls().caFile()).contains(Path.of("/etc/ca.pem"));
        assertThat(options.connection().tls().verifyPeer()).isEqualTo(TlsOptions.PeerVerification.CA);
        assertThat(options.send().durability()).isEqualTo(Durability.AOF_ALWAYS);
        assertThat(options.send().maxInboxLength()).isEqualTo(50_000);
        assertThat(options.delivery().visibilityTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(options.delivery().maxAttempts()).isEqualTo(3);
        assertThat(options.delivery().backoff())
                .isEqualTo(new Backoff(Duration.ofMillis(50), Duration.ofSeconds(30), true));
        assertThat(options.consumer().prefetch()).isEqualTo(4);
        assertThat(options.consumer().shutdownTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(options.consumer().inboxRetention()).isEqualTo(new Retention(10_000, Duration.ofHours(1)));
    }

    @Test
    void noTlsPropertyLeavesTlsAtItsDefaultsSoAPlaintextUriIsAccepted() {
        BusOptions options = bind(Map.of("agentbus.connection.command-timeout", "2s"))
                .toBusOptions()
                .build();

        assertThat(options.connection().tls()).isEqualTo(TlsOptions.defaults());
        assertThat(options.connection().passwordFile()).isEqualTo(Optional.empty());
    }

    @Test
    void aValueOutOfItsRangeIsRefusedNamingTheSetting() {
        AgentBusProperties properties = bind(Map.of("agentbus.delivery.max-attempts", "0"));

        assertThatThrownBy(properties::toBusOptions)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxAttempts");
    }

    @Test
    void aClientCertificateWithoutItsKeyIsRefused() {
        AgentBusProperties properties = bind(Map.of("agentbus.tls.cert-file", "/etc/client.pem"));

        assertThatThrownBy(properties::toBusOptions)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("agentbus.tls.cert-file and agentbus.tls.key-file");
    }

    @Test
    void anUnknownDurabilityIsRefusedNamingTheValue() {
        AgentBusProperties properties = bind(Map.of("agentbus.send.durability", "disk"));

        assertThatThrownBy(properties::toBusOptions)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'disk'");
    }

    private static AgentBusProperties bind(Map<String, String> properties) {
        return new Binder(new MapConfigurationPropertySource(properties))
                .bindOrCreate("agentbus", AgentBusProperties.class);
    }
}
