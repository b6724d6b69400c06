package io.agentbus.swarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SwarmOptionsTest {

    @Test
    void defaultsAreThePublishedConstants() {
        SwarmOptions defaults = SwarmOptions.defaults();

        assertThat(defaults.eventRate()).isEqualTo(1_000);
        assertThat(defaults.messageHistory()).isEqualTo(100);
        assertThat(SwarmOptions.builder().build()).isEqualTo(defaults);
    }

    @Test
    void mutateKeepsEverySetting() {
        SwarmOptions original =
                SwarmOptions.builder().eventRate(5).messageHistory(6).build();

        assertThat(original.mutate().build()).isEqualTo(original);
        assertThat(original.mutate().eventRate(7).build()).isEqualTo(new SwarmOptions(7, 6));
    }

    @Test
    void badValuesAreRejectedAtOnceNamingTheSettingAndTheValue() {
        assertThatThrownBy(() -> SwarmOptions.builder().eventRate(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("eventRate must be >= 1, was 0");
        assertThatThrownBy(() -> new SwarmOptions(1, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("messageHistory must be >= 1, was 0");
    }
}
