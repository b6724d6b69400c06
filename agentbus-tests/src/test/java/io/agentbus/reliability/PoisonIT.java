package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Backoff;
import io.agentbus.BusOptions;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.SendReceipt;
import io.agentbus.deadletter.DeadLetter;
import io.agentbus.deadletter.DeadLetterReason;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Garbage written straight into an inbox and messages whose handler always throws do not stop a
 * consumer: each malformed entry is dead-lettered once, with its reason, each poison message after
 * exactly its allowed attempts, and every good message still arrives.
 */
@ExtendWith(RedisServerExtension.class)
class PoisonIT {

    private static final int MAX_ATTEMPTS = 3;
    private static final BusOptions QUICK_RETRIES = BusOptions.builder()
            .delivery(DeliveryOptions.builder()
                    .visibilityTimeout(Duration.ofSeconds(1))
                    .maxAttempts(MAX_ATTEMPTS)
                    .backoff(Backoff.fixed(Duration.ofMillis(50)))
                    .build())
            .build();

    @Test
    void poisonAndMalformedEntriesAreDeadLetteredAndTheConsumerGoesOn(LocalRedis redis) throws Exception {
        int total = Scale.of(2_000, 10_000);
        AgentId agent = freshAgent("poisoned");
        byte[] inbox = ("agent:{" + agent.value() + "}:inbox").getBytes(StandardCharsets.UTF_8);
        Map<String, List<Integer>> attemptsById = new ConcurrentHashMap<>();
        Queue<String> handled = new ConcurrentLinkedQueue<>();
        List<String> good = new ArrayList<>();
        List<String> throwing = new ArrayList<>();
        Map<String, DeadLetterReason> malformed = new LinkedHashMap<>();

        try (AgentBus bus = AgentBus.connect(redis.uri(), QUICK_RETRIES);
                RawRedis raw = RawRedis.connect(redis)) {
            bus.subscribe(agent, delivery -> {
                String id = delivery.envelope().messageId().value();
                attemptsById
                        .computeIfAbsent(id, key -> new CopyOnWriteArrayList<>())
                        .add(delivery.attempt());
                if (id.startsWith("throws-")) {
                    throw new IllegalStateException("poison " + id);
                }
                handled.add(id);
            });

            List<CompletableFuture<SendReceipt>> sends = new ArrayList<>();
            int garbage = 0;
            for (int i = 0; i < total; i++) {
                if (i % 100 == 50) {
                    // One entry in a hundred is garbage; the first in the middle of the run is 10 MiB large.
                    Garbage kind = garbage == total / 200 ? Garbage.TEN_MIB_FIELD : Garbage.values()[garbage % 5];
                    String entryId = raw.bytes().xadd(inbox, kind.fields(agent, i));
                    malformed.put(entryId, kind.reason);
                    garbage++;
                } else if (i % 200 == 75) {
                    String id = "throws-" + i;
                    throwing.add(id);
                    sends.add(bus.send(task(agent, id)).toCompletableFuture());
                } else {
                    String id = "good-" + i;
                    good.add(id);
                    sends.add(bus.send(task(agent, id)).toCompletableFuture());
                }
            }
            CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

            long expectedDeadLetters = malformed.size() + throwing.size();
            try {
                await().atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> bus.deadLetters(agent).count() >= expectedDeadLetters
                                && bus.sync().inbox(agent).pending() == 0
                                && Set.copyOf(handled).containsAll(good));
            } catch (ConditionTimeoutException e) {
                ScenarioResult.note("poison", "gave up waiting: " + e.getMessage());
            }
            String lastWord = "alive-check";
            bus.sync().send(task(agent, lastWord));
            boolean alive = awaitQuietly(() -> handled.contains(lastWord), Duration.ofSeconds(20));
            long pelAfter = bus.sync().inbox(agent).pending();
            List<DeadLetter> deadLetters = bus.deadLetters(agent).list((int) expectedDeadLetters + 100);

            Map<String, List<DeadLetter>> bySource =
                    deadLetters.stream().collect(Collectors.groupingBy(DeadLetter::sourceEntryId));
            long malformedDeadLettered = malformed.entrySet().stream()
                    .filter(entry -> {
                        List<DeadLetter> letters = bySource.getOrDefault(entry.getKey(), List.of());
                        return letters.size() == 1
                                && letters.get(0).attempts() == 1
                                && letters.get(0).reason() == entry.getValue()
                                && !letters.get(0).detail().isEmpty();
                    })
                    .count();
            Map<String, List<DeadLetter>> byMessage = new HashMap<>();
            deadLetters.forEach(letter -> letter.envelope()
                    .ifPresent(envelope -> byMessage
                            .computeIfAbsent(envelope.messageId().value(), id -> new ArrayList<>())
                            .add(letter)));
            long throwingExact = throwing.stream()
                    .filter(id -> {
                        List<DeadLetter> letters = byMessage.getOrDefault(id, List.of());
                        return attemptsById.getOrDefault(id, List.of()).equals(List.of(1, 2, 3))
                                && letters.size() == 1
                                && letters.get(0).reason() == DeadLetterReason.MAX_ATTEMPTS
                                && letters.get(0).attempts() == MAX_ATTEMPTS;
                    })
                    .count();
            long goodDelivered =
                    good.stream().filter(Set.copyOf(handled)::contains).count();
            String goodPct = String.format(java.util.Locale.ROOT, "%.1f", 100.0 * goodDelivered / good.size());

            ScenarioResult.note(
                    "poison",
                    "entries=" + total + " good=" + good.size() + " malformed=" + malformed.size()
                            + " throwing=" + throwing.size() + " dead_letters=" + deadLetters.size()
                            + " reasons="
                            + deadLetters.stream()
                                    .collect(Collectors.groupingBy(
                                            letter -> letter.reason().code(),
                                            java.util.TreeMap::new,
                                            Collectors.counting())));
            ScenarioResult.print(
                    "poison",
                    "consumer_alive",
                    alive,
                    "good_delivered_pct",
                    goodPct,
                    "malformed_dead_lettered",
                    malformedDeadLettered,
                    "throwing_exact_attempts",
                    throwingExact,
                    "pel_after",
                    pelAfter);

            assertThat(alive).as("a good message sent last is still delivered").isTrue();
            assertThat(goodDelivered).as("good messages delivered").isEqualTo(good.size());
            assertThat(malformedDeadLettered)
                    .as("malformed entries dead-lettered once, attempt 1, with their reason")
                    .isEqualTo(malformed.size());
            assertThat(throwingExact)
                    .as("poison messages tried exactly %d times, then dead-lettered", MAX_ATTEMPTS)
                    .isEqualTo(throwing.size());
            assertThat(deadLetters).as("dead letters").hasSize((int) expectedDeadLetters);
            assertThat(pelAfter).as("pending entries at the end").isZero();
        }
    }

    private static boolean awaitQuietly(java.util.concurrent.Callable<Boolean> condition, Duration timeout) {
        try {
            await().atMost(timeout).pollInterval(Duration.ofMillis(50)).until(condition);
            return true;
        } catch (ConditionTimeoutException e) {
            return false;
        }
    }

    private static Envelope task(AgentId to, String messageId) {
        return Envelope.builder()
                .messageId(messageId)
                .from("dispatcher")
                .to(to)
                .type("task")
                .payload("{\"n\":1}")
                .build();
    }
}
