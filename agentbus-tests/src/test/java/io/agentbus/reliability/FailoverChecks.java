package io.agentbus.reliability;

import static org.awaitility.Awaitility.await;

import io.agentbus.AgentId;
import io.agentbus.MessageId;
import io.agentbus.protocol.KeySchema;
import io.agentbus.testkit.RawRedis;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;

/**
 * What the failover tests (Sentinel and cluster) check after the faults: which acknowledged sends the
 * consumers recorded, in a Redis apart from the one that failed over, and whether they drained.
 */
final class FailoverChecks {

    private FailoverChecks() {}

    /**
     * Two consumer JVMs, each running every one of {@code agents} on {@code busUri}, recording what they
     * handle under {@code recordKey} in the Redis at {@code recordsUri}, ready when this returns.
     */
    static List<ConsumerProcess> startConsumers(
            String scenario,
            String busUri,
            List<AgentId> agents,
            String recordKey,
            Duration visibility,
            String recordsUri)
            throws Exception {
        List<ConsumerProcess> consumers = new ArrayList<>();
        String agentIds = agents.stream().map(AgentId::value).collect(Collectors.joining(","));
        for (int process = 0; process < 2; process++) {
            consumers.add(ConsumerProcess.start(
                    Path.of("target", scenario, "consumer-" + process + ".log"),
                    busUri,
                    agentIds,
                    recordKey,
                    Long.toString(visibility.toMillis()),
                    "64",
                    "32",
                    "0",
                    recordsUri));
        }
        for (ConsumerProcess consumer : consumers) {
            consumer.awaitReady(Duration.ofSeconds(60));
        }
        return consumers;
    }

    /** Waits for {@code condition} at most {@code atMost}; what did not come is measured by the caller. */
    static void awaitQuietly(Duration atMost, Callable<Boolean> condition) {
        try {
            await().atMost(atMost).until(condition);
        } catch (ConditionTimeoutException e) {
            // measured by the caller
        }
    }

    static Set<String> ids(Set<MessageId> ledger) {
        Set<String> ids = new HashSet<>();
        ledger.forEach(id -> ids.add(id.value()));
        return ids;
    }

    /** The message ids the consumers recorded under {@code recordKey} ({@link RecordingConsumerMain}). */
    static Set<String> recorded(RawRedis records, String recordKey) {
        Set<String> ids = new HashSet<>();
        for (String record : records.commands().lrange(recordKey, 0, -1)) {
            ids.add(RecordingConsumerMain.Recorded.parse(record).messageId());
        }
        return ids;
    }

    /**
     * Whether, within 30 s, nothing is pending in any band of {@code agents}, read through {@code current}:
     * a connection that reaches the current master (through the sentinels, or a cluster connection).
     */
    static boolean awaitDrained(RedisClusterCommands<String, String> current, List<AgentId> agents) {
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (AgentId agent : agents) {
                    for (int priority : new int[] {1, 5, 9}) {
                        String band = KeySchema.inbox(agent, priority);
                        if (current.exists(band) > 0
                                && current.xpending(band, KeySchema.INBOX_GROUP).getCount() > 0) {
                            return false;
                        }
                    }
                }
                return true;
            });
            return true;
        } catch (ConditionTimeoutException e) {
            return false;
        }
    }
}
