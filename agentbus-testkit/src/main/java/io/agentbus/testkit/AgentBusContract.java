package io.agentbus.testkit;

import io.agentbus.AgentBus;
import io.agentbus.BusOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What every {@link AgentBus} does, whatever is under it: one body of tests that a Redis bus on a
 * standalone server, on Sentinel and on a cluster, and the in-memory double, must all pass (as
 * Caffeine runs one test over every cache configuration). It uses the public API only: no Redis
 * keys, no raw connection, nothing one server has and another lacks.
 *
 * <pre>{@code
 * @ExtendWith(RedisServerExtension.class)
 * class RedisStandaloneContractIT extends AgentBusContract {
 *     private String uri;
 *
 *     @BeforeAll
 *     void startRedis(LocalRedis redis) { uri = redis.uri(); }
 *
 *     @Override protected AgentBus connect(BusOptions options) { return AgentBus.connect(uri, options); }
 *     @Override protected String topology() { return "standalone"; }
 * }
 * }</pre>
 *
 * <p>One instance serves the whole class ({@link TestInstance.Lifecycle#PER_CLASS}), so a subclass's
 * {@code @BeforeAll} may be an instance method that receives its fixture as a parameter. Tests share
 * one server and use fresh agent, topic and swarm names, so their order never matters. Every bus a
 * test opens through {@link #bus(BusOptions)} is closed after it. When the class is done, one line
 * {@code RESULT scenario=contract topology=<topology> passed=N failed=M} goes to stdout.
 *
 * <p>The tests are default methods of one interface per area, which this class implements:
 * {@link DirectMessagingContract}, {@link RetriesAndDeadLettersContract},
 * {@link RequestsAndBroadcastsContract}, {@link DurableTopicContract}, {@link RegistryAndAuditContract}
 * and {@link SwarmContract}. Waits are generous: on a cluster an idle agent's inbox is polled, so its
 * first message may take about a second to be read. A subclass that cannot pass a test yet overrides
 * it, annotated {@code @Disabled("why, and the issue")}; nothing in the contract itself is disabled.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(ContractResults.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
public abstract class AgentBusContract
        implements DirectMessagingContract,
                RetriesAndDeadLettersContract,
                RequestsAndBroadcastsContract,
                DurableTopicContract,
                RegistryAndAuditContract,
                SwarmContract {

    /** How long a test waits for what must happen: generous, as CI machines are shared. */
    protected static final Duration WAIT = ContractSupport.WAIT;

    private final List<AgentBus> buses = new CopyOnWriteArrayList<>();

    /** Opens a new bus with {@code options} on the deployment under test; the contract closes it. */
    protected abstract AgentBus connect(BusOptions options);

    /** The name of the deployment, as the {@code RESULT} line prints it: {@code standalone}, {@code memory}... */
    protected abstract String topology();

    /** A bus with {@code options}, closed after the test. */
    @Override
    public final AgentBus bus(BusOptions options) {
        AgentBus bus = connect(options);
        buses.add(bus);
        return bus;
    }

    @AfterEach
    protected final void closeBuses() {
        List<AgentBus> open = new ArrayList<>(buses);
        buses.clear();
        RuntimeException failure = null;
        // Newest first: a responder bus closes before the requester it may still answer.
        for (int i = open.size() - 1; i >= 0; i--) {
            try {
                open.get(i).close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure; // after every bus had its chance to close
        }
    }
}
