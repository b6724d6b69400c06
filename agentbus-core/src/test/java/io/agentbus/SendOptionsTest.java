package io.agentbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SendOptionsTest {

    @Test
    void defaultsAreThePublishedConstants() {
        SendOptions defaults = SendOptions.defaults();

        assertThat(defaults.maxPayloadBytes()).isEqualTo(1024 * 1024);
        assertThat(defaults.dedupWindow()).isEqualTo(Duration.ofMinutes(10));
        assertThat(defaults.maxInboxLength()).isEqualTo(1_000_000);
        assertThat(defaults.durability()).isEqualTo(Durability.MEMORY);
        assertThat(defaults.strictDurability()).isFalse();
        assertThat(defaults.requireLiveRecipient()).isFalse();
        assertThat(defaults.breakerThreshold()).isEqualTo(SendOptions.DEFAULT_BREAKER_THRESHOLD);
        assertThat(defaults.breakerCoolDown()).isEqualTo(SendOptions.DEFAULT_BREAKER_COOL_DOWN);
        assertThat(SendOptions.builder().build()).isEqualTo(defaults);
    }

    @Test
    void mutateKeepsEverySetting() {
        SendOptions original = SendOptions.builder()
                .maxPayloadBytes(2)
                .dedupWindow(Duration.ofSeconds(1))
                .maxInboxLength(0)
                .durability(Durability.waitFor(1, Duration.ofSeconds(1)))
                .strictDurability(true)
                .requireLiveRecipient(true)
                .breaker(0, Duration.ofSeconds(2))
                .build();

        assertThat(original.mutate().build()).isEqualTo(original);
        assertThat(original.mutate().maxPayloadBytes(3).build().durability()).isEqualTo(original.durability());
    }

    @Test
    void badValuesAreRejectedAtOnceNamingTheSettingAndTheValue() {
        SendOptions.Builder builder = SendOptions.builder();

        assertThatThrownBy(() -> builder.maxPayloadBytes(1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxPayloadBytes must be >= 2, was 1");
        assertThatThrownBy(() -> builder.dedupWindow(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("dedupWindow must be > 0, was PT0S");
        assertThatThrownBy(() -> builder.maxInboxLength(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxInboxLength must be >= 0, was -1");
        assertThatThrownBy(() -> builder.breaker(-1, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("breaker threshold must be >= 0, was -1");
        assertThatThrownBy(() -> builder.breaker(1, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("breakerCoolDown must be > 0, was PT0S");
    }
}
