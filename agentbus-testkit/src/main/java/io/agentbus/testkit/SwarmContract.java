package io.agentbus.testkit;

import static io.agentbus.testkit.ContractSupport.WAIT;
import static io.agentbus.testkit.ContractSupport.event;
import static io.agentbus.testkit.ContractSupport.ids;
import static io.agentbus.testkit.TestIds.freshAgent;
import static io.agentbus.testkit.TestIds.freshName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.MessageId;
import io.agentbus.broadcast.DurableTopic;
import io.agentbus.swarm.StateConflictException;
import io.agentbus.swarm.SwarmEvents;
import io.agentbus.swarm.SwarmMessenger;
import io.agentbus.swarm.Swarms;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Part of {@link AgentBusContract}: swarm state and recovery, the inter-swarm messenger and swarm events. */
interface SwarmContract extends ContractBuses {

    @Test
    default void aStaleSwarmStateWriteFailsAndChangesNothing() {
        String swarm = freshName("launch");
        Swarms swarms = bus().swarms();
        long first = swarms.write(swarm, 0, "{\"phase\":\"plan\"}");
        long second = swarms.write(swarm, first, "{\"phase\":\"build\"}");

        assertThatThrownBy(() -> swarms.write(swarm, first, "{\"phase\":\"stale\"}"))
                .isInstanceOf(StateConflictException.class);

        assertThat(second).isGreaterThan(first);
        assertThat(swarms.read(swarm)).hasValue(new Swarms.State(swarm, "{\"phase\":\"build\"}", second));
    }

    @Test
    default void anInterruptedSwarmIsRecoveredFromItsLastCheckpoint() {
        String swarm = freshName("research");
        Swarms swarms = bus().swarms();
        long version = swarms.write(swarm, 0, "{\"step\":1}");
        swarms.checkpoint(swarm, "step-1");
        swarms.write(swarm, version, "{\"step\":2,\"half\":\"done\"}");
        swarms.heartbeat(swarm, "coordinator-1", Duration.ofMillis(300));

        await().atMost(WAIT)
                .until(() -> swarms.show(swarm).map(Swarms.Info::interrupted).orElse(false));
        Swarms.Checkpoint resumed = swarms.recover(swarm, "coordinator-2", Duration.ofSeconds(30));

        assertThat(resumed.label()).isEqualTo("step-1");
        assertThat(swarms.read(swarm))
                .hasValueSatisfying(state -> assertThat(state.json()).isEqualTo("{\"step\":1}"));
        assertThat(swarms.show(swarm)).hasValueSatisfying(info -> {
            assertThat(info.interrupted()).isFalse();
            assertThat(info.coordinator()).contains("coordinator-2");
        });
        assertThat(swarms.list()).extracting(Swarms.Info::swarm).contains(swarm);
        assertThat(swarms.checkpoints(swarm))
                .extracting(Swarms.Checkpoint::label)
                .first()
                .isEqualTo("step-1");
    }

    @Test
    default void swarmMessagesReachTheReceivingSwarmAndStayInTheHistory() throws Exception {
        String from = freshName("research");
        String to = freshName("build");
        AgentBus sending = bus();
        AgentBus receiving = bus();
        RecordingHandler receiver = RecordingHandler.acking();
        receiving.swarms().messenger().receive(to, receiver);
        SwarmMessenger messenger = sending.swarms().messenger();

        List<MessageId> sent = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            sent.add(messenger
                    .send(from, to, "finding", "{\"n\":" + i + "}")
                    .toCompletableFuture()
                    .get(WAIT.toMillis(), TimeUnit.MILLISECONDS)
                    .messageId());
        }

        assertThat(ids(receiver.await(3, WAIT))).containsExactlyInAnyOrderElementsOf(sent);
        assertThat(receiver.deliveries()).allSatisfy(delivery -> {
            assertThat(delivery.envelope().fromAgent().value()).isEqualTo(from);
            assertThat(delivery.envelope().messageType()).isEqualTo("finding");
        });
        assertThat(messenger.history(from, to, 10))
                .extracting(entry -> entry.message().messageId())
                .containsExactlyElementsOf(sent);
        assertThat(messenger.senders(to)).containsExactly(from);
    }

    @Test
    default void swarmEventsReachListenersOfTheirSwarmAndTypeOnly() {
        String swarm = freshName("swarm");
        AgentBus bus = bus();
        List<String> heard = new CopyOnWriteArrayList<>();
        bus.swarmEvents(swarm).listen("agent.*", (channel, event) -> heard.add(event.messageType()));
        SwarmEvents events = bus.swarmEvents(swarm);
        SwarmEvents otherSwarm = bus.swarmEvents(freshName("other"));

        events.publish("agent.joined", event("agent.joined"))
                .toCompletableFuture()
                .join();
        events.publish("task.done", event("task.done")).toCompletableFuture().join();
        otherSwarm
                .publish("agent.joined", event("agent.joined"))
                .toCompletableFuture()
                .join();
        events.publish("agent.left", event("agent.left")).toCompletableFuture().join();

        await().atMost(WAIT).until(() -> heard.size() >= 2);
        assertThat(heard).containsExactly("agent.joined", "agent.left");
    }

    @Test
    default void aDurableSwarmEventTypeReachesASubscriberGroupThatWasOffline() throws Exception {
        String swarm = freshName("cfn");
        AgentId build = freshAgent("build");
        SwarmEvents events = bus().swarmEvents(swarm);
        DurableTopic phases = events.durable("phase.transition");
        phases.subscribe(build, DurableTopic.StartFrom.NOW, RecordingHandler.acking())
                .close();

        SwarmEvents.Outcome outcome = events.publish("phase.transition", event("phase.transition"))
                .toCompletableFuture()
                .get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        RecordingHandler returning = RecordingHandler.acking();
        phases.subscribe(build, DurableTopic.StartFrom.NOW, returning);

        assertThat(outcome).isEqualTo(SwarmEvents.Outcome.PUBLISHED);
        assertThat(returning.await(1, WAIT))
                .singleElement()
                .satisfies(delivery ->
                        assertThat(delivery.envelope().messageType()).isEqualTo("phase.transition"));
    }
}
