package io.agentbus.bench;

import io.agentbus.embedded.LocalRedis;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * One way of moving a message through Redis from a producer to a handler: agentbus, or an
 * alternative written the way its own docs recommend. The harness ({@link Harness}) drives every
 * system through the same two calls, {@link Rig#send} and the {@link Sink} given to {@link #open} (or
 * to the {@code open…} of a one-to-many or request/reply scenario), so the scenarios never know which
 * system they measure.
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

    /**
     * {@link Scenario#CLUSTER}: as {@link #open}, on the Redis Cluster at {@code clusterUri}
     * ({@code redis-cluster://host:port,…}).
     */
    default Rig openCluster(String clusterUri, List<String> agents, Sink sink) throws Exception {
        throw new UnsupportedOperationException(name() + " does not run " + Scenario.CLUSTER);
    }

    /**
     * {@link Scenario#BROADCAST}: {@code subscribers} listeners of one pub/sub channel in this process, each
     * handing every broadcast's payload to {@code sink}; {@link Rig#send} publishes once, whatever its agent.
     */
    default Rig openBroadcast(LocalRedis redis, int subscribers, Sink sink) throws Exception {
        throw new UnsupportedOperationException(name() + " does not run " + Scenario.BROADCAST);
    }

    /**
     * {@link Scenario#DURABLE_TOPIC}: one stream topic read by {@code groups} subscriber groups of one
     * running instance each, each handing every message's payload to {@code sink} and acknowledging it;
     * {@link Rig#send} publishes once, whatever its agent.
     */
    default Rig openDurableTopic(LocalRedis redis, int groups, Sink sink) throws Exception {
        throw new UnsupportedOperationException(name() + " does not run " + Scenario.DURABLE_TOPIC);
    }

    /**
     * {@link Scenario#REQUEST_REPLY}: a responder that answers every request with the request's payload;
     * {@link Rig#send} sends a request and completes after the requester got the reply and handed its
     * payload to {@code sink}.
     */
    default Rig openRequestReply(LocalRedis redis, Sink sink) throws Exception {
        throw new UnsupportedOperationException(name() + " does not run " + Scenario.REQUEST_REPLY);
    }

    /**
     * {@link Scenario#BACKLOG_DRAIN}: as {@link #open}, but with no consumer running: the inboxes take sends
     * and keep them until {@link Backlog#startConsumers()} starts what {@link #open} would have started.
     */
    default Backlog openBacklog(LocalRedis redis, List<String> agents, Sink sink) throws Exception {
        throw new UnsupportedOperationException(name() + " does not run " + Scenario.BACKLOG_DRAIN);
    }

    /**
     * {@link Scenario#DEPARTMENT}: one process's part of a department on the server at {@code redisUri}: one
     * inbox and running consumer instance for each agent of {@code members}, handing every payload to
     * {@code sink}, and a sender from any member to any agent of the department, in this process or another.
     */
    default Member openDepartment(String redisUri, List<String> members, Sink sink) throws Exception {
        throw new UnsupportedOperationException(name() + " does not run " + Scenario.DEPARTMENT);
    }

    /** A rig whose consumers do not run yet: sends queue in the inboxes until {@link #startConsumers()}. */
    interface Backlog extends Rig {

        /** Starts one consumer instance per inbox, as {@link #open} does; called once. */
        void startConsumers();
    }

    /** The agents of a department that live in one process: their consumers and their sender. */
    interface Member extends AutoCloseable {

        /**
         * Sends {@code payload} from agent {@code from} (one of this process's) to agent {@code to} through the
         * system's asynchronous API; the stage completes when Redis confirmed the send. Called from one thread.
         */
        CompletionStage<?> send(String from, String to, String payload);

        @Override
        void close() throws Exception;
    }

    /** A system connected to one Redis: a producer and running consumers. */
    interface Rig extends AutoCloseable {

        /**
         * Sends {@code payload} to agent number {@code agent} through the system's asynchronous API; the
         * stage completes when Redis confirmed the send. Called from one producer thread.
         */
        CompletionStage<?> send(int agent, String payload);

        /** Pushes out sends that the system batches (Jedis's pipeline); a no-op for the others. */
        default void flush() {}

        /**
         * The stream keys whose consumer groups, all of them, have no pending entry once every handled
         * message was also acknowledged; empty for systems without acknowledgements.
         */
        List<String> ackedStreams();

        @Override
        void close() throws Exception;

        /**
         * The rig of a one-to-many or request/reply scenario, which has a single destination: {@code send}
         * publishes or requests, whatever the agent; {@code close} disconnects everything.
         */
        static Rig of(Function<String, CompletionStage<?>> send, List<String> ackedStreams, AutoCloseable close) {
            return new Rig() {
                @Override
                public CompletionStage<?> send(int agent, String payload) {
                    return send.apply(payload);
                }

                @Override
                public List<String> ackedStreams() {
                    return ackedStreams;
                }

                @Override
                public void close() throws Exception {
                    close.close();
                }
            };
        }
    }
}
