package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.SendReceipt;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.reliability.RecordingConsumerMain.Recorded;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.lettuce.core.Consumer;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.models.stream.PendingMessage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Instances of one agent, each a JVM of its own, are killed with SIGKILL at random moments while
 * they work through a backlog, and replaced. Nothing may be lost; what the killed instances held
 * is redelivered to the others once the visibility timeout has passed, and only that is duplicated.
 *
 * <p>"In flight at a kill" is what XPENDING lists under the killed consumer right after its death:
 * read and not acknowledged. Reclaim latency is measured for those entries, from the kill to their
 * next recorded delivery. The kill moments come from a seed printed on stderr; replay a run with
 * {@code -Dagentbus.seed=<seed>}.
 */
@ExtendWith(RedisServerExtension.class)
class ConsumerKilledIT {

    private static final int INSTANCES = 4;
    private static final int PREFETCH = 20;
    private static final int READ_BATCH = 10;
    private static final Duration VISIBILITY = Duration.ofSeconds(2);
    /** Per message, so that the backlog lasts long enough to kill instances in the middle of it. */
    private static final long WORK_MILLIS = 2;

    @Test
    void killedConsumersLoseNothingAndTheirMessagesAreReclaimedWithinTwoVisibilityTimeouts(LocalRedis redis)
            throws Exception {
        int messages = Scale.of(5_000, 20_000);
        int kills = Scale.of(3, 5);
        long seed = Long.getLong("agentbus.seed", System.nanoTime());
        Random random = new Random(seed);
        AgentId agent = freshAgent("killed");
        String inbox = "agent:{" + agent.value() + "}:inbox";
        String recordKey = "test:deliveries:" + agent.value();
        Path logs = Path.of("target", "reliability-logs");
        String[] consumerArgs = {
            redis.uri(),
            agent.value(),
            recordKey,
            Long.toString(VISIBILITY.toMillis()),
            Integer.toString(PREFETCH),
            Integer.toString(READ_BATCH),
            Long.toString(WORK_MILLIS)
        };

        List<ConsumerProcess> processes = new ArrayList<>();
        List<Kill> done = new ArrayList<>();
        Map<String, String> messageIdByEntry = new HashMap<>();
        Map<String, Long> sentAt = new HashMap<>();
        long started = System.nanoTime();
        try (RawRedis connection = RawRedis.connect(redis);
                AgentBus producer = AgentBus.connect(redis.uri())) {
            RedisCommands<String, String> raw = connection.commands();
            for (int i = 0; i < INSTANCES; i++) {
                processes.add(ConsumerProcess.start(logs.resolve("consumer-killed-" + i + ".log"), consumerArgs));
            }
            for (ConsumerProcess process : processes) {
                process.awaitReady(Duration.ofSeconds(60));
            }

            List<CompletableFuture<SendReceipt>> sends = new ArrayList<>();
            for (int i = 0; i < messages; i++) {
                Envelope task = Envelope.builder()
                        .from("dispatcher")
                        .to(agent)
                        .type("task")
                        .payload("{\"n\":" + i + "}")
                        .build();
                sentAt.put(task.messageId().value(), System.currentTimeMillis());
                sends.add(producer.send(task).toCompletableFuture());
            }
            for (CompletableFuture<SendReceipt> send : sends) {
                SendReceipt receipt = send.get(30, TimeUnit.SECONDS);
                messageIdByEntry.put(receipt.entryId(), receipt.messageId().value());
            }

            // Kill at random points of the backlog, spread over its first three quarters.
            List<Double> killPoints = new ArrayList<>();
            for (int k = 0; k < kills; k++) {
                killPoints.add(0.05 + 0.70 * random.nextDouble());
            }
            killPoints.sort(null);
            for (double point : killPoints) {
                long threshold = (long) (point * messages);
                await().atMost(Duration.ofSeconds(120))
                        .pollInterval(Duration.ofMillis(10))
                        .until(() -> raw.llen(recordKey) >= threshold
                                && processes.stream()
                                                .filter(ConsumerProcess::isReady)
                                                .count()
                                        >= 2);
                List<ConsumerProcess> ready =
                        processes.stream().filter(ConsumerProcess::isReady).toList();
                ConsumerProcess victim = ready.get(random.nextInt(ready.size()));
                String consumer = victim.consumer().get();
                long killedAt = System.currentTimeMillis();
                victim.kill();
                List<String> held = raw
                        .xpending(
                                inbox, Consumer.from("agentbus", consumer), Range.create("-", "+"), Limit.from(100_000))
                        .stream()
                        .map(PendingMessage::getId)
                        .toList();
                done.add(new Kill(consumer, killedAt, held));
                processes.add(ConsumerProcess.start(
                        logs.resolve("consumer-killed-" + processes.size() + ".log"), consumerArgs));
            }

            try {
                await().atMost(Duration.ofSeconds(Scale.of(90, 600)))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> raw.llen(recordKey) >= messages
                                && raw.xpending(inbox, "agentbus").getCount() == 0
                                && distinctRecorded(raw.lrange(recordKey, 0, -1))
                                        .containsAll(sentAt.keySet()));
            } catch (ConditionTimeoutException e) {
                ScenarioResult.note("consumer-killed", "gave up waiting for every message: " + e.getMessage());
            }

            Set<String> pendingAtEnd = new HashSet<>();
            raw.xpending(inbox, "agentbus", Range.create("-", "+"), Limit.from(100_000))
                    .forEach(pending ->
                            pendingAtEnd.add(messageIdByEntry.getOrDefault(pending.getId(), pending.getId())));
            long deadLetters = producer.deadLetters(agent).count();
            List<Recorded> deliveries =
                    raw.lrange(recordKey, 0, -1).stream().map(Recorded::parse).toList();
            report(
                    messages,
                    kills,
                    seed,
                    sentAt,
                    messageIdByEntry,
                    deliveries,
                    pendingAtEnd,
                    deadLetters,
                    done,
                    Duration.ofNanos(System.nanoTime() - started));
        } finally {
            for (ConsumerProcess process : processes) {
                process.close();
            }
        }
    }

    private static void report(
            int messages,
            int kills,
            long seed,
            Map<String, Long> sentAt,
            Map<String, String> messageIdByEntry,
            List<Recorded> deliveries,
            Set<String> pendingAtEnd,
            long deadLetters,
            List<Kill> done,
            Duration took) {
        Map<String, List<Recorded>> byMessage = new HashMap<>();
        long unexpected = 0;
        int maxDeliveryCount = 0;
        for (Recorded delivery : deliveries) {
            if (!sentAt.containsKey(delivery.messageId())
                    || delivery.atMillis() < sentAt.get(delivery.messageId()) - 1) {
                unexpected++;
                continue;
            }
            byMessage
                    .computeIfAbsent(delivery.messageId(), id -> new ArrayList<>())
                    .add(delivery);
            maxDeliveryCount = Math.max(maxDeliveryCount, delivery.attempt());
        }
        long acknowledged = sentAt.keySet().stream()
                .filter(id -> byMessage.containsKey(id) && !pendingAtEnd.contains(id))
                .count();
        long lost = messages - acknowledged + deadLetters;
        long duplicated = deliveries.size() - unexpected - byMessage.size();

        // Reclaim latency: from the kill to the next delivery of each message the killed instance held.
        // A message held again by an instance killed later is measured from that later kill.
        List<Long> reclaimMillis = new ArrayList<>();
        long inFlightAtKills = 0;
        for (int k = 0; k < done.size(); k++) {
            Kill kill = done.get(k);
            inFlightAtKills += kill.heldEntries().size();
            for (String entry : kill.heldEntries()) {
                String id = messageIdByEntry.get(entry);
                Long redeliveredAt = byMessage.getOrDefault(id, List.of()).stream()
                        .filter(d ->
                                d.atMillis() >= kill.atMillis() && !d.consumer().equals(kill.consumer()))
                        .map(Recorded::atMillis)
                        .min(Long::compare)
                        .orElse(null);
                if (redeliveredAt == null || heldAgainBefore(done, k, entry, redeliveredAt)) {
                    continue;
                }
                reclaimMillis.add(redeliveredAt - kill.atMillis());
            }
        }
        long p50 = ScenarioResult.percentile(reclaimMillis, 50);
        long p99 = ScenarioResult.percentile(reclaimMillis, 99);
        long duplicateBound = (long) PREFETCH * kills;

        ScenarioResult.note(
                "consumer-killed",
                "seed=" + seed + " messages=" + messages + " kills=" + kills
                        + " instances=" + INSTANCES + " prefetch=" + PREFETCH + " read_batch=" + READ_BATCH
                        + " visibility_ms=" + VISIBILITY.toMillis() + " in_flight_at_kills=" + inFlightAtKills
                        + " held_per_kill="
                        + done.stream().map(kill -> kill.heldEntries().size()).toList()
                        + " duplicate_bound_prefetch_x_kills=" + duplicateBound + " reclaim_samples="
                        + reclaimMillis.size()
                        + " reclaim_max_ms="
                        + reclaimMillis.stream().max(Long::compare).orElse(0L)
                        + " dead_letters=" + deadLetters + " pending_at_end=" + pendingAtEnd.size() + " took_ms="
                        + took.toMillis());
        ScenarioResult.print(
                "consumer-killed",
                "attempts",
                deliveries.size(),
                "acknowledged",
                acknowledged,
                "delivered_unique",
                byMessage.size(),
                "lost",
                lost,
                "duplicated",
                duplicated,
                "unexpected",
                unexpected,
                "max_delivery_count",
                maxDeliveryCount,
                "reclaim_p50_ms",
                p50,
                "reclaim_p99_ms",
                p99);

        assertThat(lost).as("messages lost").isZero();
        assertThat(unexpected).as("deliveries of messages never sent").isZero();
        assertThat(duplicated)
                .as("duplicates, at most what the killed instances held")
                .isLessThanOrEqualTo(inFlightAtKills);
        assertThat(duplicated)
                .as("duplicates, at most prefetch (%d) x kills (%d)", PREFETCH, kills)
                .isLessThanOrEqualTo(duplicateBound);
        assertThat(p99).as("p99 reclaim latency (ms)").isLessThanOrEqualTo(2 * VISIBILITY.toMillis());
    }

    private static boolean heldAgainBefore(List<Kill> kills, int after, String entry, long redeliveredAt) {
        for (int later = after + 1; later < kills.size(); later++) {
            Kill kill = kills.get(later);
            if (kill.atMillis() <= redeliveredAt && kill.heldEntries().contains(entry)) {
                return true;
            }
        }
        return false;
    }

    private static Set<String> distinctRecorded(List<String> records) {
        Set<String> ids = new HashSet<>();
        records.forEach(record -> ids.add(record.substring(0, record.indexOf(' '))));
        return ids;
    }

    /** An instance killed at {@code atMillis}, and the inbox entries pending under it right after. */
    record Kill(String consumer, long atMillis, List<String> heldEntries) {}
}
