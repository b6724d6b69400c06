package io.agentbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConsumerOptionsTest {

    @Test
    void defaultsAreThePublishedConstants() {
        ConsumerOptions defaults = ConsumerOptions.defaults();

        assertThat(defaults.handlerThreads()).isEqualTo(16);
        assertThat(defaults.prefetch()).isEqualTo(256);
        assertThat(defaults.readBatchSize()).isEqualTo(100);
        assertThat(defaults.maxReadBytes()).isEqualTo(8 * 1024 * 1024);
        assertThat(defaults.maxQueuedBytes()).isEqualTo(32 * 1024 * 1024);
        assertThat(defaults.readBlock()).isEqualTo(Duration.ofSeconds(1));
        assertThat(defaults.shutdownTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(defaults.inboxRetention()).isEqualTo(Retention.maxLength(10_000));
        assertThat(defaults.presenceHeartbeat()).isEqualTo(Duration.ofSeconds(5));
        assertThat(defaults.presenceTtl()).isEqualTo(Duration.ofSeconds(15));
        assertThat(ConsumerOptions.builder().build()).isEqualTo(defaults);
    }

    @Test
    void mutateKeepsEverySetting() {
        ConsumerOptions original = ConsumerOptions.builder()
                .handlerThreads(1)
                .prefetch(2)
                .readBatchSize(3)
                .maxReadBytes(30)
                .maxQueuedBytes(300)
                .readBlock(Duration.ofMillis(4))
                .shutdownTimeout(Duration.ZERO)
                .inboxRetention(Retention.maxAge(Duration.ofMinutes(6)))
                .presence(Duration.ofSeconds(7), Duration.ofSeconds(14))
                .build();

        assertThat(original.mutate().build()).isEqualTo(original);
    }

    @Test
    void badValuesAreRejectedAtOnceNamingTheSettingAndTheValue() {
        ConsumerOptions.Builder builder = ConsumerOptions.builder();

        assertThatThrownBy(() -> builder.handlerThreads(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("handlerThreads must be >= 1, was 0");
        assertThatThrownBy(() -> builder.prefetch(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("prefetch must be >= 1, was 0");
        assertThatThrownBy(() -> builder.maxReadBytes(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxReadBytes must be >= 1, was 0");
        assertThatThrownBy(() -> builder.maxQueuedBytes(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxQueuedBytes must be >= 1, was -1");
        assertThatThrownBy(() -> builder.readBlock(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("readBlock must be > 0, was PT0S");
        assertThatThrownBy(() -> builder.shutdownTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("shutdownTimeout must be >= 0, was PT-1S");
        assertThatThrownBy(() -> builder.presence(Duration.ofSeconds(5), Duration.ofSeconds(9)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("presenceTtl PT9S must be at least two heartbeats (PT5S)");
    }
}
