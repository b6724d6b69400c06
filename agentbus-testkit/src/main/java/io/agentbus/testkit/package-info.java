/**
 * Fixtures for tests of code that uses agentbus, and for agentbus's own: real {@code redis-server}
 * processes on free loopback ports, never the machine's own Redis.
 *
 * <ul>
 *   <li>{@link io.agentbus.testkit.RedisServerExtension}: one standalone server per test class (or per
 *       test), injected as a {@link io.agentbus.embedded.LocalRedis} or a {@link io.agentbus.testkit.RawRedis}.
 *   <li>{@link io.agentbus.testkit.RedisSentinelGroup}: one master, two replicas and three sentinels,
 *       for {@code redis-sentinel://} URIs: {@code killMaster()}, {@code awaitPromotion(timeout)},
 *       {@code restart(node)} (Sentinel demotes the old master), {@code awaitReplicasInSync(timeout)}.
 *   <li>{@link io.agentbus.testkit.RedisClusterNodes}: three masters and three replicas created with
 *       {@code redis-cli --cluster create}, for {@code redis-cluster://} URIs: {@code masterOf(key)},
 *       {@code killMaster(node)}, {@code awaitFailover(node, timeout)}, {@code restart(node)} and
 *       {@code migrateSlot(slot, from, to)} (SETSLOT IMPORTING/MIGRATING, MIGRATE, SETSLOT NODE).
 *   <li>{@link io.agentbus.testkit.RedisTopologyExtension}: starts either of the two per test class when
 *       a test asks for it as a parameter, configured by the same {@link io.agentbus.testkit.RedisServerConfig}
 *       (binary, arguments, per test). Both are also plain {@link java.lang.AutoCloseable}s for
 *       try-with-resources.
 *   <li>{@link io.agentbus.testkit.RedisProxy} (network faults), {@link io.agentbus.testkit.RecordingHandler},
 *       {@link io.agentbus.testkit.TestIds}, {@link io.agentbus.testkit.LoopbackPorts}.
 * </ul>
 *
 * <p>Every process is a {@code LocalRedis}: killed on close and when the JVM exits, from the
 * {@code redis-server} on PATH or the bundled Redis 6.2 ({@link io.agentbus.embedded.LocalRedis.Binary}).
 * A JVM killed with SIGKILL runs no shutdown hook, so its servers outlive it.
 */
package io.agentbus.testkit;
