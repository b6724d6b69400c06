package io.agentbus.redis;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads of one bus besides its readers: the handler pool, which runs handlers, and one timer
 * thread for ack flushes, request timeouts, deferred swarm events and sender checks. The timer is not
 * CompletableFuture.delayedExecutor: on 2 CPUs its default pool starts a new thread per task. Timer
 * tasks are short and never wait for Redis.
 */
final class BusThreads implements AutoCloseable {

    private final ExecutorService handlerPool;
    private final ScheduledThreadPoolExecutor timer;

    BusThreads(int handlerThreads) {
        this.handlerPool = Executors.newFixedThreadPool(handlerThreads, daemonThreads("agentbus-handler-"));
        this.timer = new ScheduledThreadPoolExecutor(1, daemonThreads("agentbus-timer-"));
        timer.setRemoveOnCancelPolicy(true); // a request's timeout is cancelled when its reply comes
    }

    ExecutorService handlerPool() {
        return handlerPool;
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger counter = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    @Override
    public void close() {
        handlerPool.shutdownNow();
        timer.shutdownNow();
    }
}
