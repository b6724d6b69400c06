package io.agentbus.cli.commands;

import static io.agentbus.testkit.TestIds.freshName;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.Subscription;
import io.agentbus.cli.CliRun;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.LoopbackPorts;
import io.agentbus.testkit.RedisServerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code agentbus check}: the verdict a monitoring probe reads from the exit code, and the line that says why. */
@ExtendWith(RedisServerExtension.class)
class CheckCommandIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aConsumedAgentIsOkAndOneWithUnreadMessagesAndNoInstanceIsCritical(LocalRedis redis) throws Exception {
        AgentId served = AgentId.of(freshName("served"));
        AgentId abandoned = AgentId.of(freshName("abandoned"));
        try (AgentBus bus = AgentBus.connect(redis.uri());
                Subscription running = bus.subscribe(served, delivery -> {})) {
            bus.sync().send(message(served));
            bus.sync().send(message(abandoned));
            bus.sync().send(message(abandoned));

            CliRun healthy = CliRun.execute("check", "--agent", served.value(), "--redis", redis.uri());
            CliRun all = CliRun.execute("check", "--redis", redis.uri());
            CliRun json = CliRun.execute("check", "--json", "--redis", redis.uri());

            assertThat(healthy.exitCode()).as(healthy.out() + healthy.err()).isZero();
            assertThat(healthy.out()).startsWith("OK agentbus: 1 agent checked, 0 critical, 0 warning");
            assertThat(all.exitCode()).as(all.out() + all.err()).isEqualTo(CheckCommand.CRITICAL);
            assertThat(all.out())
                    .startsWith("CRITICAL agentbus: ")
                    .contains("CRITICAL agent " + abandoned + ": backlog: 2 unread")
                    .doesNotContain("agent " + served + ":");
            JsonNode verdict = JSON.readTree(json.out());
            assertThat(verdict.get("status").asText()).isEqualTo("critical");
            assertThat(verdict.get("checks"))
                    .anySatisfy(check -> {
                        assertThat(check.get("check").asText()).isEqualTo("agent " + served);
                        assertThat(check.get("status").asText()).isEqualTo("ok");
                    })
                    .anySatisfy(check -> assertThat(check.get("check").asText()).isEqualTo("redis"));
        }
    }

    @Test
    void anUnknownAgentIsAWarningAndAnUnreachableRedisIsCritical(LocalRedis redis) {
        CliRun unknown = CliRun.execute("check", "--agent", freshName("nobody"), "--redis", redis.uri());
        CliRun unreachable = CliRun.execute("check", "--redis", "redis://127.0.0.1:" + LoopbackPorts.free());

        assertThat(unknown.exitCode()).as(unknown.out() + unknown.err()).isEqualTo(CheckCommand.WARNING);
        assertThat(unknown.out()).contains("WARNING agent nobody-").contains(": not a known agent");
        assertThat(unreachable.exitCode())
                .as(unreachable.out() + unreachable.err())
                .isEqualTo(CheckCommand.CRITICAL);
        assertThat(unreachable.out())
                .startsWith("CRITICAL agentbus: 0 agents checked, 1 critical")
                .contains("CRITICAL redis: ");
    }

    private static Envelope message(AgentId to) {
        return Envelope.builder().from("cmo").to(to).type("task").payload("{}").build();
    }
}
