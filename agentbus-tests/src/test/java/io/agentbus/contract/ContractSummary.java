package io.agentbus.contract;

import io.agentbus.testkit.memory.InMemoryContract;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Prints, once per run in which the standalone or in-memory contract ran, the line that compares them:
 * {@code RESULT scenario=contract redis_standalone_passed=N redis_standalone_failed=M in_memory_passed=N
 * in_memory_failed=M exclusions=K}. The counts are the tests' measured outcomes, by the rules of each
 * class's own line ({@code ContractResults}): a failure outside any test (a server that would not start)
 * counts as one failed; {@code exclusions} counts the in-memory tests skipped because
 * {@link InMemoryContract#EXCLUDED} names them. Registered through
 * {@code META-INF/services/org.junit.platform.launcher.TestExecutionListener}.
 */
public final class ContractSummary implements TestExecutionListener {

    private static final Map<String, String> TOPOLOGY_BY_CLASS = Map.of(
            RedisStandaloneContractIT.class.getName(), "redis_standalone",
            InMemoryContractIT.class.getName(), "in_memory");

    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        // a disabled test counts as neither passed nor failed, as in ContractResults
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        String topology = topologyOf(test);
        if (topology == null) {
            return;
        }
        if (test.isTest()) {
            switch (result.getStatus()) {
                case SUCCESSFUL -> count(topology, "passed");
                case FAILED -> count(topology, "failed");
                case ABORTED -> count(topology, "aborted");
            }
        } else if (result.getStatus() == TestExecutionResult.Status.FAILED) {
            count(topology, "failed");
        }
        count(topology, "seen");
    }

    @Override
    public void testPlanExecutionFinished(TestPlan plan) {
        if (counts.isEmpty()) {
            return;
        }
        System.out.println("RESULT scenario=contract"
                + " redis_standalone_passed=" + get("redis_standalone", "passed")
                + " redis_standalone_failed=" + get("redis_standalone", "failed")
                + " in_memory_passed=" + get("in_memory", "passed")
                + " in_memory_failed=" + get("in_memory", "failed")
                + " exclusions=" + get("in_memory", "aborted"));
    }

    private static String topologyOf(TestIdentifier test) {
        return test.getSource()
                .map(source -> source instanceof MethodSource method
                        ? method.getClassName()
                        : source instanceof ClassSource type ? type.getClassName() : null)
                .map(TOPOLOGY_BY_CLASS::get)
                .orElse(null);
    }

    private void count(String topology, String outcome) {
        counts.computeIfAbsent(topology + "." + outcome, key -> new AtomicInteger())
                .incrementAndGet();
    }

    private int get(String topology, String outcome) {
        AtomicInteger count = counts.get(topology + "." + outcome);
        return count == null ? 0 : count.get();
    }
}
