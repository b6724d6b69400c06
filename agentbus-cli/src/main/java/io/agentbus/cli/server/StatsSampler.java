package io.agentbus.cli.server;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.AgentStatus;
import io.agentbus.InboxStats;
import io.agentbus.cli.BusStatsSnapshot;
import io.agentbus.cli.MessageRate;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes a {@link BusStatsSnapshot} every {@link #PERIOD} on its own thread, keeps the latest with the
 * {@link MessageRate} since the one before and each agent's {@link AgentStatus}, and refreshes the
 * {@link RedisGauges} from it: one sample feeds {@code /api/stats}, the dashboard and {@code /metrics}. HTTP
 * requests read the latest sample instead of asking Redis themselves, so ten open dashboards cost Redis what one
 * does.
 *
 * <p>Dead letters count as rising ({@link AgentStatus#FAILING}) for {@link #FAILING_WINDOW} after the agent's
 * dead-lettered or expired counter last rose, so that a trickle of failures shows steadily, not one second in ten.
 *
 * <p>Consumers. After each sample it forgets the consumers that are dead ({@link InboxStats.ConsumerStats#live()}
 * false), hold nothing, and have been idle longer than {@code forgetConsumersAfter}: a running instance of the agent
 * sweeps those itself, but an agent with none running would list them for ever.
 */
final class StatsSampler implements AutoCloseable {

    static final Duration PERIOD = Duration.ofMillis(BusStatsSnapshot.SAMPLE_PERIOD_MS);
    /** How long an agent stays {@link AgentStatus#FAILING} after its dead letters last rose. */
    static final Duration FAILING_WINDOW = Duration.ofMinutes(1);

    private static final Logger log = LoggerFactory.getLogger(StatsSampler.class);

    /** One sample, the rate since the previous one, and each agent's status. */
    record Sample(BusStatsSnapshot snapshot, MessageRate rate, Set<AgentId> failing) {

        Map<AgentId, AgentStatus> statuses() {
            return snapshot.statuses(failing);
        }
    }

    private final AgentBus bus;
    private final RedisGauges gauges;
    private final Duration forgetConsumersAfter;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "agentbus-stats-sampler");
        thread.setDaemon(true);
        return thread;
    });
    /** Sampler thread only: when each agent's dead letters last rose. */
    private final Map<AgentId, Long> deadLettersRoseNanos = new HashMap<>();

    private volatile Sample latest;
    private volatile String lastFailure;

    /**
     * Takes the first sample before returning, so the server never answers with nothing.
     *
     * @param forgetConsumersAfter how long a dead consumer holding nothing stays listed; zero keeps them
     */
    StatsSampler(AgentBus bus, RedisGauges gauges, Duration forgetConsumersAfter) {
        this.bus = bus;
        this.gauges = gauges;
        this.forgetConsumersAfter = forgetConsumersAfter;
        BusStatsSnapshot first = BusStatsSnapshot.take(bus);
        latest = publish(first, first, MessageRate.UNKNOWN);
        scheduler.scheduleWithFixedDelay(this::sample, PERIOD.toMillis(), PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    }

    Sample latest() {
        return latest;
    }

    /** Why the last sample failed, or null if it succeeded: the dashboard shows it instead of stale figures silently. */
    String lastFailure() {
        return lastFailure;
    }

    private void sample() {
        try {
            BusStatsSnapshot next = BusStatsSnapshot.take(bus);
            latest = publish(latest.snapshot(), next, MessageRate.between(latest.snapshot(), next));
            lastFailure = null;
            forgetDeadConsumers(next);
        } catch (IllegalStateException closed) {
            // The bus closed under the sampler (SIGTERM closes it from a shutdown hook): the server is stopping.
            log.debug("stats sample skipped: {}", closed.getMessage());
        } catch (RuntimeException e) {
            // Redis away: /api/stats keeps the last figures (with sample_error and their age), /metrics drops them;
            // try again next period (a thrown exception would end the schedule).
            if (lastFailure == null) {
                log.warn("stats sample failed: {}", e.toString());
            }
            gauges.unavailable();
            lastFailure = e.getMessage() == null ? e.toString() : e.getMessage();
        }
    }

    /** Sampler thread: the statuses of {@code next} (dead letters compared with {@code previous}), shown. */
    private Sample publish(BusStatsSnapshot previous, BusStatsSnapshot next, MessageRate rate) {
        for (AgentId agent : next.deadLettersRoseSince(previous)) {
            deadLettersRoseNanos.put(agent, next.nanoTime());
        }
        Set<AgentId> failing = new HashSet<>();
        deadLettersRoseNanos.entrySet().removeIf(rose -> {
            boolean recent = next.nanoTime() - rose.getValue() < FAILING_WINDOW.toNanos();
            if (recent) {
                failing.add(rose.getKey());
            }
            return !recent;
        });
        Sample sample = new Sample(next, rate, Set.copyOf(failing));
        gauges.update(next, sample.statuses());
        return sample;
    }

    private void forgetDeadConsumers(BusStatsSnapshot snapshot) {
        if (forgetConsumersAfter.isZero()) {
            return;
        }
        for (InboxStats inbox : snapshot.inboxes()) {
            for (InboxStats.ConsumerStats consumer : inbox.consumers()) {
                if (!consumer.live()
                        && consumer.pending() == 0
                        && consumer.idle().compareTo(forgetConsumersAfter) > 0) {
                    bus.forgetConsumer(inbox.agent(), consumer.name()).whenComplete((removed, failure) -> {
                        if (failure != null) {
                            log.warn(
                                    "could not forget consumer {} of {}: {}",
                                    consumer.name(),
                                    inbox.agent(),
                                    failure.toString());
                        } else if (removed) {
                            log.info(
                                    "forgot consumer {} of {}: dead, holding nothing, idle {}",
                                    consumer.name(),
                                    inbox.agent(),
                                    consumer.idle());
                        }
                    });
                }
            }
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
