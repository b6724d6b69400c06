package io.agentbus.bench;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.LocalRedis;
import io.agentbus.Subscription;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/** agentbus itself, with its default {@link io.agentbus.BusOptions}, through its public API only. */
final class AgentBusSystem implements BenchSystem {

    static final String NAME = "agentbus";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Set<Scenario> scenarios() {
        return EnumSet.allOf(Scenario.class);
    }

    @Override
    public Rig open(LocalRedis redis, List<String> agents, Sink sink) {
        AgentBus bus = AgentBus.connect(redis.uri());
        List<AgentId> ids = new ArrayList<>();
        List<Subscription> subscriptions = new ArrayList<>();
        AgentId producer = AgentId.of("producer");
        for (String agent : agents) {
            AgentId id = AgentId.of(agent);
            ids.add(id);
            subscriptions.add(bus.subscribe(id, delivery -> sink.accept(delivery.envelope().payload())));
        }
        List<String> inboxes = agents.stream().map(agent -> "agent:{" + agent + "}:inbox").toList();
        return new Rig() {
            @Override
            public CompletionStage<?> send(int agent, String payload) {
                return bus.send(Envelope.builder().from(producer).to(ids.get(agent)).type("bench").payload(payload).build());
            }

            @Override
            public List<String> ackedStreams() {
                return inboxes;
            }

            @Override
            public void close() {
                subscriptions.forEach(Subscription::close);
                bus.close();
            }
        };
    }
}
