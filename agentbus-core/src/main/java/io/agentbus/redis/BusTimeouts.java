package io.agentbus.redis;

import io.agentbus.BusOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.RedisCommand;
import java.util.concurrent.TimeUnit;

/**
 * Per-command timeouts: every command gets the command timeout, except a blocking read, which is
 * allowed its BLOCK time on top, and WAIT, which is allowed its replication timeout on top. Without this, either a blocking read would time out while
 * legitimately waiting, or every other command would wait as long as a blocking read.
 */
final class BusTimeouts extends TimeoutOptions.TimeoutSource {

    private final long commandMillis;
    private final long blockingReadMillis;
    private final long replicationWaitMillis;

    BusTimeouts(BusOptions options) {
        commandMillis = options.connection().commandTimeout().toMillis();
        blockingReadMillis = commandMillis + options.consumer().readBlock().toMillis();
        replicationWaitMillis =
                commandMillis + options.send().durability().waitTimeout().toMillis();
    }

    @Override
    public long getTimeout(RedisCommand<?, ?, ?> command) {
        if (command.getType() == CommandType.XREADGROUP) {
            return blockingReadMillis;
        }
        return command.getType() == CommandType.WAIT ? replicationWaitMillis : commandMillis;
    }

    @Override
    public TimeUnit getTimeUnit() {
        return TimeUnit.MILLISECONDS;
    }
}
