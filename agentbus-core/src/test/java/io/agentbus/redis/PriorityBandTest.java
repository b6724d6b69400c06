package io.agentbus.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.AgentId;
import io.agentbus.Priority;
import org.junit.jupiter.api.Test;

class PriorityBandTest {

    @Test
    void everyPriorityFallsInItsBand() {
        assertThat(PriorityBand.of(Priority.MIN)).isEqualTo(PriorityBand.LOW);
        assertThat(PriorityBand.of(3)).isEqualTo(PriorityBand.LOW);
        assertThat(PriorityBand.of(4)).isEqualTo(PriorityBand.NORMAL);
        assertThat(PriorityBand.of(6)).isEqualTo(PriorityBand.NORMAL);
        assertThat(PriorityBand.of(7)).isEqualTo(PriorityBand.HIGH);
        assertThat(PriorityBand.of(Priority.MAX)).isEqualTo(PriorityBand.HIGH);
    }

    @Test
    void namedPrioritiesFallInTheBandsTheProtocolNames() {
        assertThat(PriorityBand.of(Priority.LOW.value())).isEqualTo(PriorityBand.LOW);
        assertThat(PriorityBand.of(Priority.NORMAL.value())).isEqualTo(PriorityBand.NORMAL);
        assertThat(PriorityBand.of(Priority.HIGH.value())).isEqualTo(PriorityBand.HIGH);
        assertThat(PriorityBand.of(Priority.URGENT.value())).isEqualTo(PriorityBand.HIGH);
        assertThat(PriorityBand.of(Priority.CRITICAL.value())).isEqualTo(PriorityBand.HIGH);
    }

    @Test
    void higherBandsRankFirst() {
        assertThat(PriorityBand.HIGH.rank()).isGreaterThan(PriorityBand.NORMAL.rank());
        assertThat(PriorityBand.NORMAL.rank()).isGreaterThan(PriorityBand.LOW.rank());
    }

    @Test
    void bandStreamsAreTheAgentsInboxAndFailureKeys() {
        AgentId agent = AgentId.of("copywriter");

        assertThat(PriorityBand.HIGH.inbox(agent)).isEqualTo("agent:{copywriter}:inbox:high");
        assertThat(PriorityBand.NORMAL.inbox(agent)).isEqualTo("agent:{copywriter}:inbox");
        assertThat(PriorityBand.LOW.failures(agent)).isEqualTo("agent:{copywriter}:failures:low");
    }
}
