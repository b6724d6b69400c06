package io.agentbus.bench;

import io.agentbus.LocalRedis;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * One way of moving a message through Redis from a producer to a handler: agentbus, or an
 * alternative written the way its own docs recommend. The harness ({@link Harness}) drives every
 * system through the same two calls, {@link Rig#send} and the {@link Sink} given to {@link #open},
 * so the scenarios never know which system they measure.
 */
interface BenchSystem {

    /** The name results.json uses: {@code agentbus}, {@code lettuce-raw}, … */
    String name();

    /** The scenarios this system runs; docs/BENCHMARKS.md says why the others are left out. */
    Set<Scenario> scenarios();

    /**
     * Connects to {@code redis}, creates one inbox per agent and starts one running consumer instance
     * per inbox that hands every message's payload to {@code sink}, then acknowledges it the way the
     * system does (or not at all, for designs without acks).
     */
    Rig open(LocalRedis redis, List<String> agents, Sink sink) throws Exception;

    /** A system connected to one Redis: a producer and running consumers. */
    interface Rig extends AutoCloseable {

        /**
         * Sends {@code payload} to agent number {@code agent} through the system's asynchronous API; the
         * stage completes when Redis confirmed the send. Called from one producer thread.
         */
        CompletionStage<?> send(int agent, String payload);

        /** Pushes out sends that the system batches (Jedis's pipeline); a no-op for the others. */
        default void flush() {
        }

        /**
         * The stream keys whose consumer groups, all of them, have no pending entry once every handled
         * message was also acknowledged; empty for systems without acknowledgements.
         */
        List<String> ackedStreams();

        @Override
        void close() throws Exception;
    }
}
