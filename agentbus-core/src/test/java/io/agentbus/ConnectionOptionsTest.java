package io.agentbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentbus.ConnectionOptions.DisconnectedSends;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ConnectionOptionsTest {

    @Test
    void defaultsAreThePublishedConstants() {
        ConnectionOptions defaults = ConnectionOptions.defaults();

        assertThat(defaults.connectTimeout()).isEqualTo(ConnectionOptions.DEFAULT_CONNECT_TIMEOUT);
        assertThat(defaults.connectWait()).isEqualTo(Duration.ZERO);
        assertThat(defaults.commandTimeout()).isEqualTo(ConnectionOptions.DEFAULT_COMMAND_TIMEOUT);
        assertThat(defaults.reconnectMinDelay()).isEqualTo(Duration.ofMillis(100));
        assertThat(defaults.reconnectMaxDelay()).isEqualTo(Duration.ofSeconds(10));
        assertThat(defaults.disconnectedSends()).isEqualTo(DisconnectedSends.FAIL_FAST);
        assertThat(defaults.requestQueueSize()).isEqualTo(10_000);
        assertThat(defaults.allowEvictingMemoryPolicy()).isFalse();
        assertThat(ConnectionOptions.builder().build()).isEqualTo(defaults);
    }

    @Test
    void mutateKeepsEverySettingAndLeavesTheOriginal() {
        ConnectionOptions original = ConnectionOptions.builder()
                .connectTimeout(Duration.ofSeconds(1))
                .connectWait(Duration.ofSeconds(2))
                .commandTimeout(Duration.ofSeconds(3))
                .reconnectDelay(Duration.ofMillis(10), Duration.ofMillis(20))
                .disconnectedSends(DisconnectedSends.BUFFER)
                .requestQueueSize(7)
                .allowEvictingMemoryPolicy(true)
                .build();

        ConnectionOptions variant = original.mutate().requestQueueSize(8).build();

        assertThat(original.mutate().build()).isEqualTo(original);
        assertThat(variant)
                .isEqualTo(new ConnectionOptions(
                        Duration.ofSeconds(1),
                        Duration.ofSeconds(2),
                        Duration.ofSeconds(3),
                        Duration.ofMillis(10),
                        Duration.ofMillis(20),
                        DisconnectedSends.BUFFER,
                        8,
                        true,
                        TlsOptions.defaults(),
                        Optional.empty()));
        assertThat(original.requestQueueSize()).isEqualTo(7);
    }

    @Test
    void badValuesAreRejectedAtOnceNamingTheSettingAndTheValue() {
        ConnectionOptions.Builder builder = ConnectionOptions.builder();

        assertThatThrownBy(() -> builder.connectTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("connectTimeout must be > 0, was PT0S");
        assertThatThrownBy(() -> builder.connectWait(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("connectWait must be >= 0, was PT-1S");
        assertThatThrownBy(() -> builder.reconnectDelay(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("reconnectMaxDelay PT1S must be >= reconnectMinDelay PT2S");
        assertThatThrownBy(() -> builder.requestQueueSize(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("requestQueueSize must be >= 1, was 0");
        assertThatThrownBy(() -> builder.commandTimeout(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("commandTimeout");
    }

    @Test
    void theConstructorChecksWhatTheBuilderChecks() {
        assertThatThrownBy(() -> new ConnectionOptions(
                        Duration.ofSeconds(1),
                        Duration.ZERO,
                        Duration.ofSeconds(1),
                        Duration.ofMillis(100),
                        Duration.ofSeconds(1),
                        DisconnectedSends.FAIL_FAST,
                        -1,
                        false,
                        TlsOptions.defaults(),
                        Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("requestQueueSize must be >= 1, was -1");
    }
}
