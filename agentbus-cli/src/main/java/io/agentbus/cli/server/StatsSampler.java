package io.agentbus.cli.server;

import io.agentbus.AgentBus;
import io.agentbus.cli.BusStatsSnapshot;
import io.agentbus.cli.MessageRate;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes a {@link BusStatsSnapshot} every {@link #PERIOD} on its own thread, keeps the latest with the
 * {@link MessageRate} since the one before, and refreshes the {@link RedisGauges}. HTTP requests read the
 * latest sample instead of asking Redis themselves, so ten open dashboards cost Redis what one does.
 */
final class StatsSampler implements AutoCloseable {

    static final Duration PERIOD = Duration.ofMillis(BusStatsSnapshot.SAMPLE_PERIOD_MS);
    private static final Logger log = LoggerFactory.getLogger(StatsSampler.class);

    /** One sample and the rate since the previous one. */
    record Sample(BusStatsSnapshot snapshot, MessageRate rate) {}

    private final AgentBus bus;
    private final RedisGauges gauges;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "agentbus-stats-sampler");
        thread.setDaemon(true);
        return thread;
    });
    private volatile Sample latest;
    private volatile String lastFailure;

    /** Takes the first sample before returning, so the server never answers with nothing. */
    StatsSampler(AgentBus bus, RedisGauges gauges) {
        this.bus = bus;
        this.gauges = gauges;
        BusStatsSnapshot first = BusStatsSnapshot.take(bus);
        gauges.update(first);
        latest = new Sample(first, MessageRate.UNKNOWN);
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
            gauges.update(next);
            latest = new Sample(next, MessageRate.between(latest.snapshot(), next));
            lastFailure = null;
        } catch (IllegalStateException closed) {
            // The bus closed under the sampler (SIGTERM closes it from a shutdown hook): the server is stopping.
            log.debug("stats sample skipped: {}", closed.getMessage());
        } catch (RuntimeException e) {
            // Redis away: keep the last figures and try again next period; a thrown exception would end the schedule.
            if (lastFailure == null) {
                log.warn("stats sample failed: {}", e.toString());
            }
            lastFailure = e.getMessage() == null ? e.toString() : e.getMessage();
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
