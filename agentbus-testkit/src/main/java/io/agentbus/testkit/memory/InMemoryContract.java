package io.agentbus.testkit.memory;

import io.agentbus.AgentBus;
import io.agentbus.BusOptions;
import io.agentbus.testkit.AgentBusContract;
import java.lang.reflect.Method;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;

/**
 * {@link AgentBusContract} on {@link InMemoryAgentBus}es that share one {@link InMemoryServer} per
 * class, topology {@code memory}. A contract test that has no meaning without a server is named in
 * {@link #EXCLUDED}, the one place that lists them, with the reason; it is skipped by an assumption,
 * so it counts as neither passed nor failed, and runs and reports count the list.
 */
public abstract class InMemoryContract extends AgentBusContract {

    /**
     * Contract tests the in-memory bus skips, by method name, with why. Empty: every test of the
     * contract uses the public API only, and the in-memory bus passes them all. A server-only feature
     * (connection faults, server version and warnings) is tested by the Redis ITs, not the contract.
     */
    public static final Map<String, String> EXCLUDED = Map.of();

    private InMemoryServer server;

    @BeforeAll
    void startServer() {
        server = InMemoryServer.create();
    }

    @AfterAll
    void stopServer() {
        server.close();
    }

    @BeforeEach
    void skipExcluded(TestInfo test) {
        String name = test.getTestMethod().map(Method::getName).orElse("");
        String reason = EXCLUDED.get(name);
        Assumptions.assumeTrue(reason == null, () -> "excluded for the in-memory bus: " + reason);
    }

    @Override
    protected AgentBus connect(BusOptions options) {
        return server.connect(options);
    }

    @Override
    protected String topology() {
        return "memory";
    }
}
