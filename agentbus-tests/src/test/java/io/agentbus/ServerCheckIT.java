package io.agentbus;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RecordingHandler;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What the bus says about a server that cannot keep its promises. */
@ExtendWith(RedisServerExtension.class)
class ServerCheckIT {

    @Test
    void aofDurabilityOnAServerWithoutAofWarnsOrRefuses(LocalRedis redis) {
        BusOptions aofAlways = withDurability(Durability.parse("aof-always"));

        try (AgentBus bus = AgentBus.connect(redis.uri(), aofAlways)) {
            assertThat(bus.serverWarnings())
                    .singleElement()
                    .asString()
                    .contains("cannot honour durability aof-always: appendonly is no");
        }
        assertThatThrownBy(() -> AgentBus.connect(
                        redis.uri(),
                        aofAlways
                                .mutate()
                                .send(aofAlways
                                        .send()
                                        .mutate()
                                        .strictDurability(true)
                                        .build())
                                .build()))
                .isInstanceOf(AgentBusException.class)
                .hasMessageContaining("appendonly is no");
    }

    @Test
    void evictingMemoryPolicyIsRefusedUnlessAllowed() {
        try (LocalRedis evicting = LocalRedis.builder()
                .args("--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru")
                .start()) {
            assertThatThrownBy(() -> AgentBus.connect(evicting.uri()))
                    .isInstanceOf(AgentBusException.class)
                    .hasMessageContaining("maxmemory-policy allkeys-lru: an eviction would delete whole inboxes");

            try (AgentBus bus = AgentBus.connect(
                    evicting.uri(),
                    BusOptions.builder()
                            .connection(ConnectionOptions.builder()
                                    .allowEvictingMemoryPolicy(true)
                                    .build())
                            .build())) {
                assertThat(bus.serverWarnings())
                        .singleElement()
                        .asString()
                        .contains("allowed by allowEvictingMemoryPolicy");
            }
        }
    }

    @Test
    void waitDurabilityConfirmsEachSendOnAReplica(LocalRedis primary) throws Exception {
        redis(primary, "CONFIG", "SET", "repl-diskless-sync-delay", "0"); // sync the replica now, not in 5 s
        try (LocalRedis replica = LocalRedis.builder()
                .args("--replicaof", primary.host(), Integer.toString(primary.port()))
                .start()) {
            BusOptions replicated = withDurability(Durability.waitFor(1, Duration.ofSeconds(2)));
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(15))
                    .until(() -> redis(replica, "INFO", "replication").contains("master_link_status:up"));
            try (AgentBus bus = AgentBus.connect(primary.uri(), replicated);
                    AgentBus onReplica = AgentBus.connect(replica.uri())) {
                AgentId agent = freshAgent("replicated");

                SendReceipt receipt = bus.sync()
                        .send(Envelope.builder()
                                .from("cmo")
                                .to(agent)
                                .type("t")
                                .payload("{}")
                                .build());

                assertThat(receipt.duplicate()).isFalse();
                assertThat(onReplica.sync().inbox(agent).length()).isEqualTo(1); // WAIT returned: the replica has it
            }
            replica.kill();
            BusOptions two = withDurability(Durability.waitFor(1, Duration.ofMillis(300)));
            try (AgentBus bus = AgentBus.connect(primary.uri(), two)) {
                AgentId agent = freshAgent("unreplicated");
                bus.subscribe(agent, RecordingHandler.acking());
                assertThatThrownBy(() -> bus.sync()
                                .send(Envelope.builder()
                                        .from("cmo")
                                        .to(agent)
                                        .type("t")
                                        .payload("{}")
                                        .build()))
                        .isInstanceOf(NotReplicatedException.class)
                        .hasMessageContaining("reached 0 of 1 replicas");
            }
        }
    }

    private static BusOptions withDurability(Durability durability) {
        return BusOptions.builder()
                .send(SendOptions.builder().durability(durability).build())
                .build();
    }

    private static String redis(LocalRedis server, String... command) {
        try (RawRedis raw = RawRedis.connect(server)) {
            io.lettuce.core.protocol.CommandArgs<String, String> args =
                    new io.lettuce.core.protocol.CommandArgs<>(io.lettuce.core.codec.StringCodec.UTF8);
            for (int i = 1; i < command.length; i++) {
                args.add(command[i]);
            }
            return String.valueOf(raw.commands()
                    .dispatch(
                            io.lettuce.core.protocol.CommandType.valueOf(command[0]),
                            new io.lettuce.core.output.StatusOutput<>(io.lettuce.core.codec.StringCodec.UTF8),
                            args));
        }
    }
}
