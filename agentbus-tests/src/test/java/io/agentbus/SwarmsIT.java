package io.agentbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.swarm.StateConflictException;
import io.agentbus.swarm.Swarms;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisServerExtension.class)
class SwarmsIT {

    @Test
    void aStaleWriteFailsTypedAndChangesNothing(LocalRedis redis) {
        String swarm = "launch-" + System.nanoTime();
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            Swarms swarms = bus.swarms();
            long first = swarms.write(swarm, 0, "{\"phase\":\"plan\"}");
            long second = swarms.write(swarm, first, "{\"phase\":\"build\"}");

            assertThatThrownBy(() -> swarms.write(swarm, first, "{\"phase\":\"stale\"}"))
                    .isInstanceOf(StateConflictException.class)
                    .hasMessageContaining("is at version 2, not 1");
            assertThat(swarms.read(swarm)).hasValue(new Swarms.State(swarm, "{\"phase\":\"build\"}", second));
        }
    }

    @Test
    void stateHasATtlAndOnlyTheTenNewestCheckpointsAreKept(LocalRedis redis) {
        String swarm = "ttl-" + System.nanoTime();
        try (AgentBus bus = AgentBus.connect(redis.uri());
                RawRedis raw = RawRedis.connect(redis)) {
            long version = 0;
            for (int i = 0; i < 12; i++) {
                version = bus.swarms().write(swarm, version, "{\"step\":" + i + "}");
                bus.swarms().checkpoint(swarm, "step-" + i);
            }

            long ttl = raw.commands().ttl("swarm:{" + swarm + "}:state");
            assertThat(ttl).isBetween(3500L, 3600L);
            assertThat(bus.swarms().checkpoints(swarm))
                    .hasSize(10)
                    .first()
                    .satisfies(newest -> assertThat(newest.label()).isEqualTo("step-11"));
        }
    }

    @Test
    void aSwarmWithALiveCoordinatorIsNotRecovered(LocalRedis redis) {
        String swarm = "busy-" + System.nanoTime();
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.swarms().write(swarm, 0, "{}");
            bus.swarms().checkpoint(swarm, "start");
            bus.swarms().heartbeat(swarm, "coordinator-1", Duration.ofSeconds(30));

            assertThat(bus.swarms().show(swarm))
                    .hasValueSatisfying(info -> assertThat(info.interrupted()).isFalse());
            assertThatThrownBy(() -> bus.swarms().recover(swarm, "coordinator-2", Duration.ofSeconds(30)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("is alive");
        }
    }
}
