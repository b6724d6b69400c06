package io.agentbus.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.cli.CliRun;
import io.agentbus.cli.ExitCodes;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisServerExtension.class)
class SwarmCommandIT {

    @Test
    void listShowAndRecoverAnInterruptedSwarm(LocalRedis redis) {
        String swarm = "campaign-" + System.nanoTime();
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            long version = bus.swarms().write(swarm, 0, "{\"phase\":\"plan\"}");
            bus.swarms().checkpoint(swarm, "planned");
            bus.swarms().write(swarm, version, "{\"phase\":\"half-built\"}");
            bus.swarms().heartbeat(swarm, "coordinator-1", Duration.ofMillis(300));
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> bus.swarms().show(swarm).orElseThrow().interrupted());
        }

        CliRun list = CliRun.execute("--redis", redis.uri(), "swarm", "list");
        CliRun show = CliRun.execute("--redis", redis.uri(), "swarm", "show", swarm);
        CliRun recover = CliRun.execute("--redis", redis.uri(), "swarm", "recover", swarm, "--coordinator", "rescuer");
        CliRun again = CliRun.execute("--redis", redis.uri(), "swarm", "recover", swarm);
        CliRun missing = CliRun.execute("--redis", redis.uri(), "swarm", "show", "nobody-" + System.nanoTime());

        assertThat(list.out()).contains(swarm + " interrupted version=2 last_checkpoint=planned@");
        assertThat(show.out()).contains("state {\"phase\":\"half-built\"}").contains("checkpoint planned version=1");
        assertThat(recover.out().strip()).isEqualTo("resumed_from=planned version=3");
        assertThat(again.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(again.err()).contains("is not interrupted");
        assertThat(missing.exitCode()).isEqualTo(4);
    }
}
