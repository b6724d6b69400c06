package io.agentbus.bench;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.Envelope;
import io.agentbus.Subscription;
import io.agentbus.broadcast.DurableTopic;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * agentbus itself, with its default {@link io.agentbus.BusOptions}, through its public API only: {@code send}
 * and {@code subscribe}, on one server and (the cluster scenario) on a {@code redis-cluster://} URI, with the
 * subscriptions made after the sends for backlog-drain and one bus per process of a department;
 * {@code publish} and {@code listen} (broadcast); a {@link DurableTopic} with one group per subscriber;
 * {@code request} from a subscribed requester and {@code serve}.
 */
final class AgentBusSystem implements BenchSystem {

    static final String NAME = "agentbus";
    /** agentbus with a Prometheus registry: the cost of its metrics is the difference to {@link #NAME}. */
    static final String METERED = "agentbus-metered";
    /** agentbus with {@code auditCap(0)}: no audit record per send and ack (issue 18's second throughput target). */
    static final String NO_AUDIT = "agentbus-no-audit";

    private static final AgentId PRODUCER = AgentId.of("producer");
    /** Far beyond any round trip of the bench: a request that times out fails the run instead of being measured. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final String name;
    private final Supplier<BusOptions> options;

    private AgentBusSystem(String name, Supplier<BusOptions> options) {
        this.name = name;
        this.options = options;
    }

    /** agentbus with its defaults (the global registry, empty here: every meter a no-op). */
    static AgentBusSystem defaults() {
        return new AgentBusSystem(NAME, BusOptions::defaults);
    }

    /** agentbus with every meter recorded in a Prometheus registry, as a monitored production process runs. */
    static AgentBusSystem metered() {
        return new AgentBusSystem(
                METERED,
                () -> BusOptions.builder()
                        .meterRegistry(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))
                        .build());
    }

    /** agentbus without the audit trail, its users' switch for the last part of the server's cost per message. */
    static AgentBusSystem withoutAudit() {
        return new AgentBusSystem(
                NO_AUDIT, () -> BusOptions.builder().auditCap(0).build());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Set<Scenario> scenarios() {
        return name.equals(NAME)
                ? EnumSet.allOf(Scenario.class)
                : EnumSet.of(Scenario.DIRECT_THROUGHPUT, Scenario.DIRECT_LATENCY);
    }

    @Override
    public Rig open(LocalRedis redis, List<String> agents, Sink sink) {
        return openAt(redis.uri(), agents, sink);
    }

    @Override
    public Rig openCluster(String clusterUri, List<String> agents, Sink sink) {
        return openAt(clusterUri, agents, sink);
    }

    private Rig openAt(String uri, List<String> agents, Sink sink) {
        Backlog rig = backlogAt(uri, agents, sink);
        rig.startConsumers();
        return rig;
    }

    @Override
    public Backlog openBacklog(LocalRedis redis, List<String> agents, Sink sink) {
        return backlogAt(redis.uri(), agents, sink);
    }

    /** A bus that sends to {@code agents}, whose subscriptions start with {@link Backlog#startConsumers()}. */
    private Backlog backlogAt(String uri, List<String> agents, Sink sink) {
        AgentBus bus = AgentBus.connect(uri, options.get());
        List<AgentId> ids = agents.stream().map(AgentId::of).toList();
        List<Subscription> subscriptions = new ArrayList<>();
        List<String> inboxes = agents.stream().map(Payloads::inbox).toList();
        return new Backlog() {
            @Override
            public CompletionStage<?> send(int agent, String payload) {
                return bus.send(envelope(PRODUCER, ids.get(agent), payload));
            }

            @Override
            public void startConsumers() {
                for (AgentId id : ids) {
                    subscriptions.add(bus.subscribe(
                            id, delivery -> sink.accept(delivery.envelope().payload())));
                }
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

    /** One bus for the process, one subscription per member, as a team runs a process of agents. */
    @Override
    public Member openDepartment(String redisUri, List<String> members, Sink sink) {
        AgentBus bus = AgentBus.connect(redisUri, options.get());
        for (String agent : members) {
            bus.subscribe(
                    AgentId.of(agent),
                    delivery -> sink.accept(delivery.envelope().payload()));
        }
        Map<String, AgentId> ids = new HashMap<>();
        return new Member() {
            @Override
            public CompletionStage<?> send(String from, String to, String payload) {
                return bus.send(envelope(
                        ids.computeIfAbsent(from, AgentId::of), ids.computeIfAbsent(to, AgentId::of), payload));
            }

            @Override
            public void close() {
                bus.close();
            }
        };
    }

    private static Envelope envelope(AgentId from, AgentId to, String payload) {
        return Envelope.builder()
                .from(from)
                .to(to)
                .type("bench")
                .payload(payload)
                .build();
    }

    @Override
    public Rig openBroadcast(LocalRedis redis, int subscribers, Sink sink) {
        AgentBus bus = AgentBus.connect(redis.uri(), options.get());
        for (int i = 0; i < subscribers; i++) {
            bus.listen("events:bench:tick", (channel, message) -> sink.accept(message.payload()));
        }
        AgentId everyone = AgentId.of("events");
        return Rig.of(
                payload -> bus.publish(
                        "events:bench:tick",
                        Envelope.builder()
                                .from(PRODUCER)
                                .to(everyone)
                                .type("bench")
                                .payload(payload)
                                .build()),
                List.of(),
                bus);
    }

    @Override
    public Rig openDurableTopic(LocalRedis redis, int groups, Sink sink) {
        AgentBus bus = AgentBus.connect(redis.uri(), options.get());
        DurableTopic topic = bus.topic("bench");
        for (int i = 0; i < groups; i++) {
            topic.subscribe(
                    AgentId.of("group-" + i),
                    DurableTopic.StartFrom.NOW,
                    delivery -> sink.accept(delivery.envelope().payload()));
        }
        AgentId to = AgentId.of(topic.name());
        return Rig.of(
                payload -> topic.publish(Envelope.builder()
                        .from(PRODUCER)
                        .to(to)
                        .type("bench")
                        .payload(payload)
                        .build()),
                List.of(KeySchema.topic(topic.name())),
                bus);
    }

    @Override
    public Rig openRequestReply(LocalRedis redis, Sink sink) {
        AgentBus bus = AgentBus.connect(redis.uri(), options.get());
        AgentId responder = AgentId.of("responder");
        bus.serve(responder, request -> request.envelope().payload());
        bus.subscribe(PRODUCER, delivery -> {
            throw new IllegalStateException("the requester gets replies only, and never in its handler");
        });
        return Rig.of(
                payload -> bus.request(
                                Envelope.builder()
                                        .from(PRODUCER)
                                        .to(responder)
                                        .type("bench")
                                        .payload(payload)
                                        .build(),
                                REQUEST_TIMEOUT)
                        .thenAccept(reply -> sink.accept(reply.payload())),
                List.of(),
                bus);
    }
}
