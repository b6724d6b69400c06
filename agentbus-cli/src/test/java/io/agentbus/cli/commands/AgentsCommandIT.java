package io.agentbus.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Subscription;
import io.agentbus.cli.CliRun;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.registry.AgentCard;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisServerExtension.class)
class AgentsCommandIT {

    @Test
    void agentsListsTheLiveAgentsAndFindsThemByCapability(LocalRedis redis) {
        AgentId seo = AgentId.of("seo-" + System.nanoTime());
        AgentId writer = AgentId.of("writer-" + System.nanoTime());
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.registry().publish(AgentCard.of(seo, "seo_specialist", "seo_audit", "keywords"));
            bus.registry().publish(AgentCard.of(writer, "copywriter", "copy"));
            bus.subscribe(seo, delivery -> {});
            bus.subscribe(writer, delivery -> {});
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> bus.registry().isLive(seo) && bus.registry().isLive(writer));

            CliRun all = CliRun.execute("--redis", redis.uri(), "agents");
            CliRun able = CliRun.execute("--redis", redis.uri(), "agents", "--capability", "seo_audit", "--json");

            assertThat(all.exitCode()).isZero();
            assertThat(all.out())
                    .contains(seo + " seo_specialist - capabilities=keywords,seo_audit")
                    .contains(writer + " copywriter - capabilities=copy");
            assertThat(able.out().lines())
                    .singleElement()
                    .asString()
                    .contains("\"id\":\"" + seo + "\"")
                    .contains("\"capabilities\":[\"keywords\",\"seo_audit\"]");
        }
    }

    @Test
    void watchPrintsJoinsAndLeaves(LocalRedis redis) throws Exception {
        AgentId agent = AgentId.of("visitor-" + System.nanoTime());
        CompletableFuture<CliRun> watching = CompletableFuture.supplyAsync(
                () -> CliRun.execute("--redis", redis.uri(), "agents", "watch", "--count", "2", "--timeout", "20s"));
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            // The watcher must be listening before the join: wait until it has a pub/sub subscription.
            await().atMost(Duration.ofSeconds(10)).until(() -> pubsubClients(redis) > 0);
            Subscription visit = bus.subscribe(agent, delivery -> {});
            await().atMost(Duration.ofSeconds(10)).until(() -> bus.registry().isLive(agent));
            visit.close();
        }

        CliRun run = watching.get();

        assertThat(run.out().lines()).containsExactly("joined " + agent, "left " + agent);
    }

    private static long pubsubClients(LocalRedis redis) {
        try (io.agentbus.testkit.RawRedis raw = io.agentbus.testkit.RawRedis.connect(redis)) {
            return raw.commands()
                    .clientList()
                    .lines()
                    .filter(line -> line.contains("name=agentbus-pubsub"))
                    .count();
        }
    }
}
