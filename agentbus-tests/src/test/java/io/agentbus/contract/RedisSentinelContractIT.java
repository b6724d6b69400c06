package io.agentbus.contract;

import io.agentbus.AgentBus;
import io.agentbus.BusOptions;
import io.agentbus.embedded.RedisSentinelGroup;
import io.agentbus.testkit.AgentBusContract;
import io.agentbus.testkit.RedisTopologyExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** The contract through Sentinel: one master, two replicas and three sentinels, started once for the class. */
@ExtendWith(RedisTopologyExtension.class)
class RedisSentinelContractIT extends AgentBusContract {

    private String uri;

    @BeforeAll
    void rememberGroup(RedisSentinelGroup group) {
        uri = group.uri();
    }

    @Override
    protected AgentBus connect(BusOptions options) {
        return AgentBus.connect(uri, options);
    }

    @Override
    protected String topology() {
        return "sentinel";
    }
}
