package io.agentbus.bench;

import java.util.List;
import java.util.Set;

/** Every system of the bench, in the order they run and appear in results. */
final class Systems {

    /** The names results.json uses. */
    static final List<String> NAMES = List.of(
            AgentBusSystem.NAME,
            AgentBusSystem.METERED,
            AgentBusSystem.NO_AUDIT,
            LettucePlainSystem.NAME,
            LettuceRawSystem.NAME,
            RedissonSystem.NAME,
            SpringDataRedisSystem.NAME,
            JedisSystem.NAME,
            SeedListsSystem.NAME,
            RedisBenchmark.P1,
            RedisBenchmark.P16);

    /** The plain design on agentbus's client: every figure's ratio to it is reported ({@link PlainRatios}). */
    static final String CEILING = LettucePlainSystem.NAME;

    /** Peers among Redis libraries: what a team would pick instead of agentbus (docs/BENCHMARKS.md). */
    static final Set<String> PEERS = Set.of(RedissonSystem.NAME, SpringDataRedisSystem.NAME, SeedListsSystem.NAME);

    private Systems() {}

    /** The adapter called {@code name}; not for the redis-benchmark systems, which run no adapter. */
    static BenchSystem adapter(String name) {
        return switch (name) {
            case AgentBusSystem.NAME -> AgentBusSystem.defaults();
            case AgentBusSystem.METERED -> AgentBusSystem.metered();
            case AgentBusSystem.NO_AUDIT -> AgentBusSystem.withoutAudit();
            case LettucePlainSystem.NAME -> new LettucePlainSystem();
            case LettuceRawSystem.NAME -> new LettuceRawSystem();
            case RedissonSystem.NAME -> new RedissonSystem();
            case SpringDataRedisSystem.NAME -> new SpringDataRedisSystem();
            case JedisSystem.NAME -> new JedisSystem();
            case SeedListsSystem.NAME -> new SeedListsSystem();
            default -> throw new IllegalArgumentException("unknown system '" + name + "'; known: " + NAMES);
        };
    }

    static boolean isRedisBenchmark(String name) {
        return name.equals(RedisBenchmark.P1) || name.equals(RedisBenchmark.P16);
    }

    /** Whether {@code system} takes part in {@code scenario} at all. */
    static boolean runs(String system, Scenario scenario) {
        if (isRedisBenchmark(system)) {
            return scenario == Scenario.DIRECT_THROUGHPUT
                    || scenario == Scenario.PAYLOAD_SIZE
                    || scenario == Scenario.BROADCAST;
        }
        return adapter(system).scenarios().contains(scenario);
    }
}
