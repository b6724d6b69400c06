package io.agentbus.contract;

import io.agentbus.AgentBus;
import io.agentbus.BusOptions;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.AgentBusContract;
import io.agentbus.testkit.RedisServerExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** The contract on one standalone redis-server, shared by the whole class. */
@ExtendWith(RedisServerExtension.class)
class RedisStandaloneContractIT extends AgentBusContract {

    private String uri;

    @BeforeAll
    void rememberServer(LocalRedis redis) {
        uri = redis.uri();
    }

    @Override
    protected AgentBus connect(BusOptions options) {
        return AgentBus.connect(uri, options);
    }

    @Override
    protected String topology() {
        return "standalone";
    }
}
