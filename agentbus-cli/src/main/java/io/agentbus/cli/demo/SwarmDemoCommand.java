package io.agentbus.cli.demo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.Envelope;
import io.agentbus.MessageId;
import io.agentbus.Priority;
import io.agentbus.broadcast.DurableTopic;
import io.agentbus.cli.BusConnection;
import io.agentbus.cli.ExitCodes;
import io.agentbus.swarm.SwarmMessenger;
import io.agentbus.swarm.SwarmOptions;
import io.agentbus.swarm.Swarms;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code agentbus demo swarm}: a CFN-style loop. A coordinator drives two swarms of agents through
 * phases; it announces each phase with a durable swarm event at priority 9, the agents report
 * lifecycle events and hand their output to the other swarm through the messenger, and the
 * coordinator writes the loop's state and a checkpoint after each phase. After {@link #CRASH_AFTER}
 * phases it crashes (its heartbeat stops, its bus goes away mid-phase); a second coordinator finds
 * the loop interrupted, recovers it from the last checkpoint, replays the messenger history, and
 * finishes the remaining phases. Every participant has a bus of its own, as separate processes would.
 */
@Command(
        name = "swarm",
        mixinStandardHelpOptions = true,
        description = {
            "Run a CFN-style loop: a coordinator and two swarms (research, build) of "
                    + SwarmDemoCommand.AGENTS_PER_SWARM + " agents each go through the phases plan, build, review,"
                    + " consensus. The coordinator announces each phase on the loop swarm's durable event type "
                    + SwarmDemoCommand.PHASE_TRANSITION + " at priority 9; every agent publishes agent.started and"
                    + " agent.completed events on its swarm (heard by the coordinator through agent.*) and sends its"
                    + " output to the other swarm through the inter-swarm messenger. After each phase the coordinator"
                    + " writes the loop's state (compare-and-set) and a checkpoint after-<phase>.",
            "After " + SwarmDemoCommand.CRASH_AFTER + " phases the coordinator crashes: it marks the next phase in"
                    + " progress, then its heartbeat stops and its bus closes. Once its heartbeat has expired ("
                    + "TTL 1 s) a second coordinator recovers the loop from its last checkpoint, replays the"
                    + " messenger history of both pairs, and runs the remaining phases.",
            "Progress goes to stderr. Stdout gets one line of name=value fields: swarms, agents, phases, events"
                    + " (lifecycle events heard), phase_transitions (delivered to the swarms' groups), messages (sent"
                    + " between the swarms), received, checkpoint (the last before the crash), crashed_at,"
                    + " resumed_from, replayed (history entries the recovery read) and lost (messages and phase"
                    + " transitions not received)."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            ExitCodes.OK + ":Every phase ran once, nothing was lost (lost=0), every event was heard, and the loop"
                    + " resumed from the checkpoint written before the crash.",
            ExitCodes.FAILED + ":A check failed, or Redis failed."
        })
final class SwarmDemoCommand implements Callable<Integer> {

    static final List<String> PHASES = List.of("plan", "build", "review", "consensus");
    static final int CRASH_AFTER = 2;
    static final int AGENTS_PER_SWARM = 3;
    static final String PHASE_TRANSITION = "phase.transition";
    private static final Duration COORDINATOR_TTL = Duration.ofSeconds(1);
    private static final Duration HEARTBEAT = Duration.ofMillis(250);
    private static final Duration PHASE_DEADLINE = Duration.ofSeconds(15);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    private BusConnection connection;

    @Mixin
    private TopologyOption topology;

    @ParentCommand
    private DemoCommand demo;

    @Spec
    private CommandSpec spec;

    /** What the run observed; each set holds ids, so a redelivery counts once. */
    private final Set<String> transitions = ConcurrentHashMap.newKeySet();

    private final Set<MessageId> received = ConcurrentHashMap.newKeySet();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong heard = new AtomicLong();

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        String run = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        String loop = "cfn-" + run;
        List<String> swarms = List.of("research-" + run, "build-" + run);
        BusOptions options = BusOptions.builder().delivery(DemoCommand.DELIVERY).build();
        // One server for every bus, as for separate processes: a local one unless --redis names one.
        try (BusConnection.Redis redis = connection.redis(topology.selected().or(demo.topology::selected));
                AgentBus agents = redis.connect(options)) {
            startSwarms(agents, loop, swarms);
            String crashedAt = PHASES.get(CRASH_AFTER);
            String checkpoint;
            try (Coordinator first = new Coordinator(redis.connect(options), "coordinator-1", loop, swarms)) {
                first.startHeartbeat();
                first.bus.swarms().write(loop, 0, state(0, "none"));
                for (int phase = 0; phase < CRASH_AFTER; phase++) {
                    first.runPhase(phase, err);
                }
                checkpoint = first.bus.swarms().checkpoints(loop).get(0).label();
                first.crashDuring(crashedAt);
            }
            err.printf("coordinator-1 crashed during %s; last checkpoint %s%n", crashedAt, checkpoint);

            try (Coordinator second = new Coordinator(redis.connect(options), "coordinator-2", loop, swarms)) {
                DemoCommand.await(
                        () -> second.bus
                                .swarms()
                                .show(loop)
                                .map(Swarms.Info::interrupted)
                                .orElse(false),
                        COORDINATOR_TTL.multipliedBy(5));
                Swarms.Checkpoint resumed = second.bus.swarms().recover(loop, second.id, COORDINATOR_TTL);
                second.startHeartbeat();
                int resumeAt = JSON.readTree(resumed.json()).get("phases_done").asInt();
                long replayed = second.replayHistory();
                err.printf(
                        "coordinator-2 recovered %s from %s (phases done: %d), replayed %d messages of history%n",
                        loop, resumed.label(), resumeAt, replayed);
                for (int phase = resumeAt; phase < PHASES.size(); phase++) {
                    second.runPhase(phase, err);
                }
                int phasesDone = JSON.readTree(
                                second.bus.swarms().read(loop).orElseThrow().json())
                        .get("phases_done")
                        .asInt();
                long expectedTransitions = (long) PHASES.size() * swarms.size();
                long expectedEvents = expectedTransitions * AGENTS_PER_SWARM * 2;
                long lost = (sent.get() - received.size()) + (expectedTransitions - transitions.size());
                spec.commandLine()
                        .getOut()
                        .println("swarms=" + swarms.size() + " agents=" + swarms.size() * AGENTS_PER_SWARM
                                + " phases=" + phasesDone + " events=" + heard.get() + " phase_transitions="
                                + transitions.size()
                                + " messages=" + sent.get() + " received=" + received.size() + " checkpoint="
                                + checkpoint
                                + " crashed_at=" + crashedAt + " resumed_from=" + resumed.label() + " replayed="
                                + replayed
                                + " lost=" + lost);
                spec.commandLine().getOut().flush();
                boolean ok = lost == 0
                        && phasesDone == PHASES.size()
                        && heard.get() == expectedEvents
                        && resumed.label().equals(checkpoint)
                        && resumeAt == CRASH_AFTER;
                return ok ? ExitCodes.OK : ExitCodes.FAILED;
            }
        }
    }

    /** Each swarm: a group on the phase transitions whose agents work on each, and a messenger receiver. */
    private void startSwarms(AgentBus agents, String loop, List<String> swarms) {
        DurableTopic phases = agents.swarmEvents(loop).durable(PHASE_TRANSITION);
        SwarmMessenger messenger = agents.swarms().messenger();
        for (String swarm : swarms) {
            String other = swarms.get(1 - swarms.indexOf(swarm));
            phases.subscribe(AgentId.of(swarm), DurableTopic.StartFrom.OLDEST, delivery -> {
                String phase = JSON.readTree(delivery.envelope().payload())
                        .get("phase")
                        .asText();
                for (int agent = 1; agent <= AGENTS_PER_SWARM; agent++) {
                    String name = swarm + ".agent-" + agent;
                    lifecycle(agents, swarm, name, "agent.started", phase);
                    messenger
                            .send(Envelope.builder()
                                    .from(swarm)
                                    .to(other)
                                    .type("phase.output")
                                    .payload(Map.of("phase", phase, "agent", name))
                                    .build())
                            .toCompletableFuture()
                            .get(5, TimeUnit.SECONDS);
                    sent.incrementAndGet();
                    lifecycle(agents, swarm, name, "agent.completed", phase);
                }
                transitions.add(swarm + ":" + phase);
            });
            messenger.receive(
                    swarm, delivery -> received.add(delivery.envelope().messageId()));
        }
    }

    private static void lifecycle(AgentBus bus, String swarm, String agent, String type, String phase)
            throws Exception {
        bus.swarmEvents(swarm)
                .publish(
                        type,
                        Envelope.builder()
                                .from(agent)
                                .to(swarm)
                                .type(type)
                                .payload(Map.of("phase", phase))
                                .build())
                .toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
    }

    private static String state(int phasesDone, String inProgress) throws JsonProcessingException {
        return JSON.writeValueAsString(Map.of("phases_done", phasesDone, "in_progress", inProgress));
    }

    /** A coordinator on a bus of its own: heartbeats, hears lifecycle events, drives and records phases. */
    private final class Coordinator implements AutoCloseable {

        final AgentBus bus;
        final String id;
        private final String loop;
        private final List<String> swarms;
        private final ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor();

        Coordinator(AgentBus bus, String id, String loop, List<String> swarms) {
            this.bus = bus;
            this.id = id;
            this.loop = loop;
            this.swarms = swarms;
            bus.swarmEvents(loop).durable(PHASE_TRANSITION); // a setting of each publishing bus
            swarms.forEach(
                    swarm -> bus.swarmEvents(swarm).listen("agent.*", (channel, event) -> heard.incrementAndGet()));
        }

        void startHeartbeat() {
            heartbeat.scheduleAtFixedRate(
                    () -> bus.swarms().heartbeat(loop, id, COORDINATOR_TTL),
                    0,
                    HEARTBEAT.toMillis(),
                    TimeUnit.MILLISECONDS);
        }

        void runPhase(int index, PrintWriter err) throws Exception {
            String phase = PHASES.get(index);
            long version = bus.swarms().read(loop).orElseThrow().version();
            version = bus.swarms().write(loop, version, state(index, phase));
            long heardBefore = heard.get();
            bus.swarmEvents(loop)
                    .publish(
                            PHASE_TRANSITION,
                            Envelope.builder()
                                    .from(id)
                                    .to(loop)
                                    .type(PHASE_TRANSITION)
                                    .priority(Priority.CRITICAL)
                                    .payload(Map.of("phase", phase, "index", index))
                                    .build())
                    .toCompletableFuture()
                    .get(5, TimeUnit.SECONDS);
            long expectedEvents = (long) swarms.size() * AGENTS_PER_SWARM * 2;
            boolean done = DemoCommand.await(
                    () -> swarms.stream().allMatch(swarm -> transitions.contains(swarm + ":" + phase))
                            && heard.get() - heardBefore >= expectedEvents
                            && received.size() == sent.get(),
                    PHASE_DEADLINE);
            bus.swarms().write(loop, version, state(index + 1, "none"));
            Swarms.Checkpoint checkpoint = bus.swarms().checkpoint(loop, "after-" + phase);
            err.printf(
                    "%s: phase %s %s; events heard %d, messages %d/%d; checkpoint %s%n",
                    id,
                    phase,
                    done ? "done" : "INCOMPLETE",
                    heard.get() - heardBefore,
                    received.size(),
                    sent.get(),
                    checkpoint.label());
        }

        /** Marks the phase in progress, then stops as a killed process would: no heartbeat, no hand-over. */
        void crashDuring(String phase) throws Exception {
            long version = bus.swarms().read(loop).orElseThrow().version();
            bus.swarms().write(loop, version, state(PHASES.indexOf(phase), phase));
            close();
        }

        /** What a recovering coordinator reads back: the newest history of each pair of swarms. */
        long replayHistory() {
            SwarmMessenger messenger = bus.swarms().messenger();
            return messenger
                            .history(swarms.get(0), swarms.get(1), SwarmOptions.DEFAULT_MESSAGE_HISTORY)
                            .size()
                    + messenger
                            .history(swarms.get(1), swarms.get(0), SwarmOptions.DEFAULT_MESSAGE_HISTORY)
                            .size();
        }

        @Override
        public void close() {
            heartbeat.shutdownNow();
            bus.close();
        }
    }
}
