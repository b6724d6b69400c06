/**
 * Fixtures for tests of code that uses agentbus, and for agentbus's own: real {@code redis-server}
 * processes on free loopback ports, never the machine's own Redis.
 *
 * <ul>
 *   <li>{@link io.agentbus.testkit.RedisServerExtension}: one standalone server per test class (or per
 *       test), injected as a {@link io.agentbus.embedded.LocalRedis} or a {@link io.agentbus.testkit.RawRedis}.
 *   <li>{@link io.agentbus.testkit.RedisTopologyExtension}: starts a
 *       {@link io.agentbus.embedded.RedisSentinelGroup} (one master, two replicas, three sentinels) or a
 *       {@link io.agentbus.embedded.RedisClusterNodes} (three masters, three replicas) per test class when
 *       a test asks for one as a parameter, configured by the same {@link io.agentbus.testkit.RedisServerConfig}
 *       (binary, arguments, per test). The two fixtures live in agentbus-embedded, beside
 *       {@code LocalRedis}, so that code other than tests (the CLI's demo) can start them; they are plain
 *       {@link java.lang.AutoCloseable}s for try-with-resources, with kill, restart, promotion and
 *       slot-migration helpers.
 *   <li>{@link io.agentbus.testkit.AgentBusContract}: what every bus must do, through the public API only;
 *       a subclass supplies the bus (standalone, Sentinel, Cluster, in memory) and inherits the tests.
 *   <li>{@link io.agentbus.testkit.memory.InMemoryAgentBus}: the bus without Redis, for fast unit tests of
 *       agents, with {@link io.agentbus.testkit.memory.TestClock} and {@code awaitIdle}; it passes the
 *       contract ({@link io.agentbus.testkit.memory.InMemoryContract}).
 *   <li>{@link io.agentbus.testkit.RedisProxy} (network faults), {@link io.agentbus.testkit.RecordingHandler},
 *       {@link io.agentbus.testkit.TestIds}, {@link io.agentbus.testkit.LoopbackPorts}.
 * </ul>
 *
 * <p>Every process is a {@code LocalRedis}: killed on close and when the JVM exits, from the
 * {@code redis-server} on PATH or the bundled Redis 6.2 ({@link io.agentbus.embedded.LocalRedis.Binary}).
 * A JVM killed with SIGKILL runs no shutdown hook, so its servers outlive it.
 */
package io.agentbus.testkit;
