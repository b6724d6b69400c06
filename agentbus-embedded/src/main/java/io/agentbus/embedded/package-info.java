/**
 * Local Redis processes started by this JVM on free loopback ports, for demos and tests; never the
 * machine's own Redis.
 *
 * <ul>
 *   <li>{@link io.agentbus.embedded.LocalRedis}: one standalone {@code redis-server}, behind
 *       {@link io.agentbus.AgentBus#embedded()} and the CLI's {@code demo}.
 *   <li>{@link io.agentbus.embedded.RedisSentinelGroup}: one master, two replicas and three sentinels,
 *       for {@code redis-sentinel://} URIs: {@code killMaster()}, {@code awaitPromotion(timeout)},
 *       {@code restart(node)} (Sentinel demotes the old master), {@code awaitReplicasInSync(timeout)}.
 *       {@code agentbus demo --topology sentinel} runs on one.
 *   <li>{@link io.agentbus.embedded.RedisClusterNodes}: three masters and three replicas created with
 *       {@code redis-cli --cluster create}, for {@code redis-cluster://} URIs: {@code masterOf(key)},
 *       {@code killMaster(node)}, {@code awaitFailover(node, timeout)}, {@code restart(node)} and
 *       {@code migrateSlot(slot, from, to)} (SETSLOT IMPORTING/MIGRATING, MIGRATE, SETSLOT NODE).
 * </ul>
 *
 * <p>Every process is a {@code LocalRedis}: killed on close and when the JVM exits, from the
 * {@code redis-server} on PATH or the bundled Redis 6.2 ({@link io.agentbus.embedded.LocalRedis.Binary}).
 * A JVM killed with SIGKILL runs no shutdown hook, so its servers outlive it. Under JUnit, the testkit's
 * {@code RedisTopologyExtension} starts the multi-process ones per test class.
 */
package io.agentbus.embedded;
