package io.agentbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BusOptionsTest {

    @Test
    void defaultsAreThePublishedConstants() {
        BusOptions defaults = BusOptions.defaults();

        assertThat(defaults.connectTimeout()).isEqualTo(BusOptions.DEFAULT_CONNECT_TIMEOUT);
        assertThat(defaults.maxPayloadBytes()).isEqualTo(1024 * 1024);
        assertThat(defaults.prefetch()).isEqualTo(BusOptions.DEFAULT_PREFETCH);
        assertThat(defaults.shutdownTimeout()).isEqualTo(BusOptions.DEFAULT_SHUTDOWN_TIMEOUT);
    }

    @Test
    void mutateDerivesAVariantAndLeavesTheOriginal() {
        BusOptions original = BusOptions.defaults();

        BusOptions variant = original.mutate().prefetch(1).readBatchSize(1).build();

        assertThat(variant.prefetch()).isEqualTo(1);
        assertThat(variant.commandTimeout()).isEqualTo(original.commandTimeout());
        assertThat(original.prefetch()).isEqualTo(BusOptions.DEFAULT_PREFETCH);
    }

    @Test
    void badValuesAreRejectedNamingTheSettingAndTheValue() {
        assertThatThrownBy(() -> BusOptions.builder().prefetch(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("prefetch must be >= 1, was 0");
        assertThatThrownBy(() -> BusOptions.builder().commandTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("commandTimeout must be > 0, was PT0S");
        assertThatThrownBy(() -> BusOptions.builder().shutdownTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("shutdownTimeout must be >= 0");
    }
}
