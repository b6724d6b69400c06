package io.agentbus.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.AgentBus;
import io.agentbus.Envelope;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.lettuce.core.KillArgs;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Ephemeral broadcast has a loss window, and only one: while the subscriber's pub/sub connection is
 * down. Outside those windows nothing is missed, and the bus's gap counter counts exactly the misses.
 */
@ExtendWith(RedisServerExtension.class)
class PubSubLossWindowIT {

    private static final int KILLS = 10;
    /**
     * A message Redis handed to the subscriber this shortly before a kill can die unread in the killed
     * socket: part of that outage. (One handed over while nobody was subscribed is part of it too:
     * PUBLISH then reports 0 receivers.)
     */
    private static final long IN_FLIGHT_MARGIN_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    @Test
    void missesOnlyDuringOutagesAndCountsThemAsGaps(LocalRedis redis) throws Exception {
        String channel = "events:loss:" + System.nanoTime();
        Map<Long, Long> publishedAt = new ConcurrentHashMap<>();
        Map<Long, Long> confirmedAt = new ConcurrentHashMap<>();
        Map<Long, Long> receivers = new ConcurrentHashMap<>();
        Map<Long, Long> receivedAt = new ConcurrentHashMap<>();
        AtomicLong sequence = new AtomicLong();
        ScheduledExecutorService publisher = Executors.newSingleThreadScheduledExecutor();
        try (RawRedis admin = RawRedis.connect(redis);
                AgentBus publishing = AgentBus.connect(redis.uri());
                AgentBus subscribing = AgentBus.connect(redis.uri(), RedisKillIT.QUICK)) {
            subscribing.listen(
                    channel,
                    (on, message) -> receivedAt.putIfAbsent(
                            Long.parseLong(message.payload().replaceAll("\\D", "")), System.nanoTime()));
            publisher.scheduleAtFixedRate(
                    () -> {
                        long n = sequence.incrementAndGet();
                        publishedAt.put(n, System.nanoTime());
                        publishing
                                .publish(
                                        channel,
                                        Envelope.builder()
                                                .from("cmo")
                                                .to("all")
                                                .type("tick")
                                                .payload(Map.of("n", n))
                                                .build())
                                .thenAccept(receipt -> {
                                    confirmedAt.put(n, System.nanoTime());
                                    receivers.put(n, receipt.receivers());
                                });
                    },
                    0,
                    1,
                    TimeUnit.MILLISECONDS);

            List<Long> kills = new ArrayList<>();
            List<Long> killsDone = new ArrayList<>();
            for (int i = 0; i < KILLS; i++) {
                Thread.sleep(500);
                kills.add(System.nanoTime());
                admin.commands().clientKill(KillArgs.Builder.typePubsub());
                killsDone.add(System.nanoTime());
            }
            Thread.sleep(1000);
            publisher.shutdown();
            publisher.awaitTermination(5, TimeUnit.SECONDS);
            Thread.sleep(300); // the last broadcasts cross the wire

            List<Long> resubscribeMillis = new ArrayList<>();
            List<long[]> outages = new ArrayList<>();
            for (int i = 0; i < KILLS; i++) {
                long kill = kills.get(i);
                // The outage ends when the subscription is back: at the publish time of the first
                // message published after the kill that arrived (handlers may run later; that is not loss).
                long back = receivedAt.keySet().stream()
                        .map(publishedAt::get)
                        .filter(at -> at > kill)
                        .min(Long::compare)
                        .orElse(Long.MAX_VALUE);
                if (back != Long.MAX_VALUE) {
                    resubscribeMillis.add(TimeUnit.NANOSECONDS.toMillis(back - kill));
                }
                // A PUBLISH that ran before the kill may be confirmed just after it: until CLIENT KILL returned.
                outages.add(new long[] {kill - IN_FLIGHT_MARGIN_NANOS, killsDone.get(i) + IN_FLIGHT_MARGIN_NANOS});
            }
            long missedInOutages = 0;
            long missedOutside = 0;
            long last = receivedAt.keySet().stream()
                    .mapToLong(Long::longValue)
                    .max()
                    .orElse(0);
            for (long n = 1; n <= last; n++) {
                if (receivedAt.containsKey(n)) {
                    continue;
                }
                long at = confirmedAt.getOrDefault(n, Long.MAX_VALUE);
                boolean inOutage = receivers.getOrDefault(n, 0L) == 0
                        || outages.stream().anyMatch(window -> at >= window[0] && at <= window[1]);
                if (inOutage) {
                    missedInOutages++;
                } else {
                    missedOutside++;
                }
            }
            long gapCounter = subscribing.broadcastStats().gaps();

            ScenarioResult.print(
                    "pubsub-loss-window",
                    "kills",
                    KILLS,
                    "resubscribed",
                    resubscribeMillis.size(),
                    "resubscribe_p50_ms",
                    ScenarioResult.percentile(resubscribeMillis, 50),
                    "resubscribe_p99_ms",
                    ScenarioResult.percentile(resubscribeMillis, 99),
                    "missed_in_outages",
                    missedInOutages,
                    "missed_outside_outages",
                    missedOutside,
                    "gap_counter",
                    gapCounter);
            assertThat(resubscribeMillis).hasSize(KILLS);
            assertThat(ScenarioResult.percentile(resubscribeMillis, 99)).isLessThanOrEqualTo(1000);
            assertThat(missedOutside).isZero();
            assertThat(gapCounter).isEqualTo(missedInOutages + missedOutside);
        } finally {
            publisher.shutdownNow();
        }
    }
}
