package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.Durability;
import io.agentbus.MessageId;
import io.agentbus.deadletter.DeadLetter;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.agentbus.reliability.RecordingConsumerMain.Recorded;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisProxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A department of agents in three consumer JVMs, fed at a steady rate, while a scheduler injects every
 * fault the reliability issue names, at random, for {@code -Dagentbus.chaos.minutes} (2 in CI, 30
 * under {@code -Pchaos}). The producer keeps a ledger of every send that returned; at the end, once
 * the faults stop and the bus has drained, every ledger entry was handled (or dead-lettered with a
 * reason), no handler saw a message that is not in the ledger, and no agent has entries left.
 *
 * <p>Faults, each drawn in random order within rounds of all kinds, so that every kind lands at least
 * once a round: SIGKILL of a consumer JVM (restarted), SIGSTOP of one past the visibility timeout (then
 * SIGCONT), kill -9 of redis-server and restart from its AOF ({@code appendfsync always}), connection
 * resets through a TCP proxy, CLIENT PAUSE, hostile entries written raw into an inbox, a delayed-set
 * member that is not JSON, and a key of the wrong type for a throwaway agent that shares the consumers'
 * processes. Replay a run's schedule with {@code -Dagentbus.seed=<seed>} (printed in the RESULT line).
 */
class ChaosSoakIT {

    private static final String SCENARIO = "chaos-soak";
    private static final Duration DURATION =
            Duration.ofMinutes(Long.getLong("agentbus.chaos.minutes", Scale.of(2, 30)));
    private static final int AGENTS = 6;
    private static final int JVMS = 3;
    private static final int RATE = 100;
    private static final Duration VISIBILITY = Duration.ofSeconds(2);
    private static final Duration DRAIN = Duration.ofSeconds(120);
    /**
     * The slowest delivery allowed: far above what the faults cost (a visibility timeout, a JVM start, a
     * Redis restart and the send breaker's cool-down), far below a stall that lasted until the drain.
     */
    private static final Duration MAX_DELAY = Duration.ofSeconds(60);

    private static final String RECORDS = "chaos:records";
    private static final Path LOGS = Path.of("target", "chaos-soak");
    /** The hostile entries the soak writes: every kind but the 10 MiB one, which PoisonIT covers. */
    private static final List<Garbage> HOSTILE = List.of(
            Garbage.INVALID_JSON, Garbage.NO_MESSAGE_ID, Garbage.VERSION_TWO, Garbage.BAD_SENDER_ID, Garbage.NOT_UTF8);

    /** What the scheduler injects; the RESULT line names each in lower case. */
    enum Fault {
        KILL_CONSUMER,
        STOP_CONSUMER,
        KILL_REDIS,
        RESET_CONNECTIONS,
        CLIENT_PAUSE,
        HOSTILE_ENTRY,
        BAD_DELAYED_MEMBER,
        WRONG_TYPE_KEY;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final long seed = Long.getLong("agentbus.seed", System.nanoTime());
    private final Random random = new Random(seed);
    private final List<AgentId> department = new ArrayList<>();
    private final AgentId doomed = freshAgent("doomed");
    private final Map<Fault, Integer> injected = new EnumMap<>(Fault.class);
    /** Inbox entry ids of the hostile entries, by agent: each must end in that agent's dead letters. */
    private final Map<AgentId, Set<String>> hostileEntries = new HashMap<>();

    private final ConsumerProcess[] processes = new ConsumerProcess[JVMS];
    private int generation;
    private int unexpectedExits;
    private String brokenKey;
    private long started;

    @Test
    void aDepartmentUnderRandomFaultsLosesNothingAndNoAgentStalls() throws Exception {
        for (int i = 0; i < AGENTS; i++) {
            department.add(freshAgent("dept" + i));
        }
        try (LocalRedis redis = LocalRedis.builder()
                        .args("--appendonly", "yes", "--appendfsync", "always")
                        .start();
                RedisProxy proxy = RedisProxy.open(redis);
                RawRedis raw = RawRedis.connect(redis)) {
            BusOptions producerOptions = RedisKillIT.QUICK
                    .mutate()
                    .send(RedisKillIT.QUICK
                            .send()
                            .mutate()
                            .durability(Durability.AOF_ALWAYS)
                            .build())
                    .build();
            try (AgentBus producer = AgentBus.connect(proxy.uri(), producerOptions)) {
                for (int j = 0; j < JVMS; j++) {
                    processes[j] = startConsumer(proxy, j);
                }
                for (ConsumerProcess process : processes) {
                    process.awaitReady(Duration.ofSeconds(60));
                }

                Traffic traffic = new Traffic(producer, department, Traffic.OnFailure.RETRY_SAME_ID);
                started = System.nanoTime();
                long startedMillis = System.currentTimeMillis();
                traffic.start(RATE);
                injectFaults(redis, proxy, raw);
                long injectingSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);

                repairBrokenKey(raw);
                restartDeadConsumers(proxy);
                boolean settled = traffic.finish(Duration.ofSeconds(60));
                Map<MessageId, AgentId> ledger = traffic.ledger();
                Outcome outcome = drain(producer, raw, ledger);
                // From the first attempt to send to the first handling: faults delay messages, a stall for good shows.
                List<Long> delays = ledger.keySet().stream()
                        .filter(id -> outcome.firstHandledMillis.containsKey(id.value()))
                        .map(id -> outcome.firstHandledMillis.get(id.value()) - traffic.firstAttemptMillis(id))
                        .toList();
                long maxDelay = delays.stream().mapToLong(Long::longValue).max().orElse(0);
                // Where the slowest message waited: to be stored (the producer retrying while Redis was
                // unreachable) or, once stored, to be handled (a consumer-side stall).
                MessageId slowest = ledger.keySet().stream()
                        .filter(id -> outcome.firstHandledMillis.containsKey(id.value()))
                        .max(Comparator.comparingLong(
                                id -> outcome.firstHandledMillis.get(id.value()) - traffic.firstAttemptMillis(id)))
                        .orElse(null);
                long storedToHandledMax = ledger.keySet().stream()
                        .filter(id -> outcome.firstHandledMillis.containsKey(id.value()))
                        .mapToLong(id -> outcome.firstHandledMillis.get(id.value()) - traffic.storedMillis(id))
                        .max()
                        .orElse(0);

                ScenarioResult.print(
                        SCENARIO,
                        "duration_s",
                        injectingSeconds,
                        "agents",
                        AGENTS,
                        "jvms",
                        JVMS,
                        "rate",
                        RATE,
                        "seed",
                        seed,
                        "attempts",
                        traffic.attempts(),
                        "rejected_sends",
                        traffic.rejected(),
                        "ledger",
                        ledger.size(),
                        "acknowledged",
                        outcome.acknowledged,
                        "dead_lettered",
                        outcome.deadLettered,
                        "lost",
                        outcome.lost.size(),
                        "unexpected",
                        outcome.unexpected.size(),
                        "duplicates",
                        outcome.duplicates,
                        "stalled_agents",
                        outcome.stalled.size(),
                        "delivery_p99_ms",
                        ScenarioResult.percentile(delays, 99),
                        "delivery_max_ms",
                        maxDelay,
                        "stored_to_handled_max_ms",
                        storedToHandledMax,
                        "hostile_dead_lettered",
                        outcome.hostileDeadLettered + "/" + outcome.hostileInjected,
                        "delayed_garbage_left",
                        outcome.delayedLeft,
                        "consumer_exits",
                        unexpectedExits,
                        "faults",
                        injected.entrySet().stream()
                                .map(entry -> entry.getKey().label() + ":" + entry.getValue())
                                .collect(Collectors.joining(",")));
                if (slowest != null) {
                    long firstAttempt = traffic.firstAttemptMillis(slowest);
                    long stored = traffic.storedMillis(slowest);
                    ScenarioResult.note(
                            SCENARIO,
                            "slowest " + slowest + " to " + ledger.get(slowest) + ": stored after "
                                    + (stored - firstAttempt) + " ms of attempts (from t="
                                    + (firstAttempt - startedMillis) / 1000 + "s), handled "
                                    + (outcome.firstHandledMillis.get(slowest.value()) - stored)
                                    + " ms after that");
                }
                if (!outcome.lost.isEmpty()) {
                    ScenarioResult.note(
                            SCENARIO,
                            "lost, first 20: " + outcome.lost.stream().limit(20).toList());
                }
                if (!outcome.unexpected.isEmpty()) {
                    ScenarioResult.note(
                            SCENARIO,
                            "unexpected, first 20: "
                                    + outcome.unexpected.stream().limit(20).toList());
                }

                assertThat(settled)
                        .as("every attempted send acknowledged in the end")
                        .isTrue();
                assertThat(outcome.lost).as("lost").isEmpty();
                assertThat(outcome.unexpected).as("unexpected").isEmpty();
                assertThat(outcome.stalled).as("stalled agents").isEmpty();
                assertThat(maxDelay)
                        .as("slowest delivery (ms): no agent stalled for long mid-run")
                        .isLessThan(MAX_DELAY.toMillis());
                assertThat(outcome.hostileDeadLettered).isEqualTo(outcome.hostileInjected);
                assertThat(outcome.delayedLeft)
                        .as("bad delayed members left in place")
                        .isZero();
                assertThat(injected.keySet()).containsExactlyInAnyOrder(Fault.values());
            } finally {
                for (ConsumerProcess process : processes) {
                    if (process != null) {
                        process.close();
                    }
                }
            }
        }
    }

    /** Each department agent runs in one JVM, the first half in a second one too; the doomed agent in all. */
    private ConsumerProcess startConsumer(RedisProxy proxy, int jvm) throws Exception {
        List<String> agents = new ArrayList<>();
        for (int i = 0; i < AGENTS; i++) {
            if (i % JVMS == jvm || (i < AGENTS / 2 && (i + 1) % JVMS == jvm)) {
                agents.add(department.get(i).value());
            }
        }
        agents.add(doomed.value());
        return ConsumerProcess.start(
                LOGS.resolve("consumer-" + jvm + "-" + generation++ + ".log"),
                proxy.uri(),
                String.join(",", agents),
                RECORDS,
                Long.toString(VISIBILITY.toMillis()),
                "20",
                "10",
                "2");
    }

    private void injectFaults(LocalRedis redis, RedisProxy proxy, RawRedis raw) throws Exception {
        long end = started + DURATION.toNanos();
        List<Fault> round = new ArrayList<>();
        while (System.nanoTime() - end < 0) {
            Thread.sleep(between(1_000, 4_000)); // traffic flows between faults
            if (round.isEmpty()) {
                round.addAll(List.of(Fault.values()));
                Collections.shuffle(round, random);
            }
            Fault fault = round.remove(0);
            ScenarioResult.note(
                    SCENARIO,
                    "t=" + TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started) + "s fault=" + fault.label());
            inject(fault, redis, proxy, raw);
            injected.merge(fault, 1, Integer::sum);
            restartDeadConsumers(proxy);
        }
    }

    private void inject(Fault fault, LocalRedis redis, RedisProxy proxy, RawRedis raw) throws Exception {
        switch (fault) {
            case KILL_CONSUMER -> {
                int jvm = random.nextInt(JVMS);
                processes[jvm].kill();
                processes[jvm] = startConsumer(proxy, jvm);
                processes[jvm].awaitReady(Duration.ofSeconds(60));
            }
            case STOP_CONSUMER -> {
                ConsumerProcess process = processes[random.nextInt(JVMS)];
                process.suspend();
                Thread.sleep(VISIBILITY.toMillis() + between(500, 2_000));
                process.resume();
            }
            case KILL_REDIS -> {
                redis.kill();
                Thread.sleep(between(200, 1_500));
                redis.restart();
            }
            case RESET_CONNECTIONS -> proxy.resetConnections();
            case CLIENT_PAUSE -> raw.commands().clientPause(between(500, 2_000));
            case HOSTILE_ENTRY -> {
                AgentId agent = department.get(random.nextInt(AGENTS));
                Garbage kind = HOSTILE.get(random.nextInt(HOSTILE.size()));
                int n = hostileEntries.values().stream().mapToInt(Set::size).sum();
                String entryId = raw.bytes()
                        .xadd(KeySchema.inbox(agent, 5).getBytes(StandardCharsets.UTF_8), kind.fields(agent, n));
                hostileEntries.computeIfAbsent(agent, key -> new HashSet<>()).add(entryId);
            }
            case BAD_DELAYED_MEMBER -> {
                AgentId agent = department.get(random.nextInt(AGENTS));
                raw.commands().zadd(KeySchema.delayed(agent), 0, "not json " + random.nextInt(1_000_000));
            }
            case WRONG_TYPE_KEY -> {
                repairBrokenKey(raw);
                List<String> keys = List.of(
                        KeySchema.inbox(doomed, 5),
                        KeySchema.deadLetters(doomed),
                        KeySchema.delayed(doomed),
                        KeySchema.counters(doomed));
                brokenKey = keys.get(random.nextInt(keys.size()));
                raw.commands().del(brokenKey);
                raw.commands().set(brokenKey, "not what it should be");
            }
            default -> throw new IllegalStateException(fault.name());
        }
    }

    private void repairBrokenKey(RawRedis raw) {
        if (brokenKey != null) {
            raw.commands().del(brokenKey);
            brokenKey = null;
        }
    }

    /** A consumer JVM that exited on its own is a finding (counted), and is restarted so the run goes on. */
    private void restartDeadConsumers(RedisProxy proxy) throws Exception {
        for (int j = 0; j < JVMS; j++) {
            if (!processes[j].isAlive()) {
                unexpectedExits++;
                ScenarioResult.note(SCENARIO, "consumer JVM " + j + " exited on its own; restarted");
                processes[j] = startConsumer(proxy, j);
                processes[j].awaitReady(Duration.ofSeconds(60));
            }
        }
    }

    private long between(long min, long max) {
        return min + (long) (random.nextDouble() * (max - min));
    }

    private record Outcome(
            Map<String, Long> firstHandledMillis,
            long acknowledged,
            long deadLettered,
            List<String> lost,
            List<String> unexpected,
            long duplicates,
            Set<AgentId> stalled,
            long hostileInjected,
            long hostileDeadLettered,
            long delayedLeft) {}

    /**
     * Waits (at most {@link #DRAIN}) until every ledger entry was handled or dead-lettered, no agent has
     * pending entries, every hostile entry and bad delayed member was dead-lettered; then measures.
     */
    private Outcome drain(AgentBus bus, RawRedis raw, Map<MessageId, AgentId> ledger) throws InterruptedException {
        Map<String, Integer> handled = new HashMap<>();
        Map<String, Long> firstHandledMillis = new HashMap<>();
        long drainEnd = System.nanoTime() + DRAIN.toNanos();
        while (true) {
            List<String> records = raw.commands()
                    .lrange(
                            RECORDS,
                            handled.values().stream()
                                    .mapToLong(Integer::longValue)
                                    .sum(),
                            -1);
            for (String record : records) {
                Recorded recorded = Recorded.parse(record);
                handled.merge(recorded.messageId(), 1, Integer::sum);
                firstHandledMillis.merge(recorded.messageId(), recorded.atMillis(), Math::min);
            }
            Outcome outcome = measure(bus, raw, ledger, handled, firstHandledMillis);
            if ((outcome.lost.isEmpty()
                            && outcome.stalled.isEmpty()
                            && outcome.hostileDeadLettered == outcome.hostileInjected
                            && outcome.delayedLeft == 0)
                    || System.nanoTime() - drainEnd > 0) {
                return outcome;
            }
            Thread.sleep(1_000);
        }
    }

    private Outcome measure(
            AgentBus bus,
            RawRedis raw,
            Map<MessageId, AgentId> ledger,
            Map<String, Integer> handled,
            Map<String, Long> firstHandledMillis) {
        Set<String> deadLetteredIds = new HashSet<>();
        Set<String> deadLetteredEntries = new HashSet<>();
        Set<AgentId> stalled = new HashSet<>();
        long delayedLeft = 0;
        for (AgentId agent : department) {
            for (DeadLetter letter : bus.deadLetters(agent).list(1_000_000)) {
                letter.envelope()
                        .ifPresent(envelope ->
                                deadLetteredIds.add(envelope.messageId().value()));
                deadLetteredEntries.add(letter.sourceEntryId());
            }
            if (bus.sync().inbox(agent).pending() > 0) {
                stalled.add(agent);
            }
            delayedLeft += raw.commands().zcard(KeySchema.delayed(agent));
        }
        long acknowledged = 0;
        long deadLettered = 0;
        List<String> lost = new ArrayList<>();
        for (Map.Entry<MessageId, AgentId> sent : ledger.entrySet()) {
            String id = sent.getKey().value();
            if (handled.containsKey(id)) {
                acknowledged++;
            } else if (deadLetteredIds.contains(id)) {
                deadLettered++;
            } else {
                lost.add(id + "@" + sent.getValue().value());
                stalled.add(sent.getValue()); // its entry is neither read nor settled
            }
        }
        Set<String> ledgerIds = new HashSet<>();
        ledger.keySet().forEach(id -> ledgerIds.add(id.value()));
        List<String> unexpected =
                handled.keySet().stream().filter(id -> !ledgerIds.contains(id)).toList();
        long duplicates =
                handled.values().stream().mapToLong(times -> times - 1).sum();
        long hostileInjected =
                hostileEntries.values().stream().mapToLong(Set::size).sum();
        long hostileDeadLettered = hostileEntries.values().stream()
                .flatMap(Set::stream)
                .filter(deadLetteredEntries::contains)
                .count();
        return new Outcome(
                firstHandledMillis,
                acknowledged,
                deadLettered,
                lost,
                unexpected,
                duplicates,
                stalled,
                hostileInjected,
                hostileDeadLettered,
                delayedLeft);
    }
}
