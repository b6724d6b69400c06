package io.agentbus.cli.commands;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.cli.AgentBusCommand;
import io.agentbus.cli.ExitCodes;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A command stopped by SIGTERM, as a service manager or {@code kill} stops it, closes its bus: the
 * instance it ran removes its consumer and its presence instead of leaving them in Redis for ever.
 */
@ExtendWith(RedisServerExtension.class)
class SignalExitIT {

    @Test
    void sigtermClosesTheBusSoTheInstanceLeavesNoConsumerBehind(LocalRedis redis, RawRedis raw) throws Exception {
        AgentId agent = freshAgent("terminated");
        String inbox = KeySchema.inbox(agent, 5);
        // receive waits, creating nothing, for an agent that does not exist yet: make it exist.
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.subscribe(agent, delivery -> {}).close();
        }
        Process receive = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        AgentBusCommand.class.getName(),
                        "receive",
                        agent.value(),
                        "--timeout",
                        "60",
                        "--redis",
                        redis.uri())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> raw.commands().exists(inbox) == 1
                            && raw.commands()
                                            .xinfoConsumers(inbox, KeySchema.INBOX_GROUP)
                                            .size()
                                    == 1);

            receive.destroy(); // SIGTERM

            assertThat(receive.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            receive.destroyForcibly();
        }
        assertThat(receive.exitValue()).isEqualTo(ExitCodes.TERMINATED);
        assertThat(raw.commands().xinfoConsumers(inbox, KeySchema.INBOX_GROUP)).isEmpty();
        assertThat(raw.commands().zcard(KeySchema.instances(agent))).isZero();
    }
}
