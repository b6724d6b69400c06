package io.agentbus.contract;

import io.agentbus.AgentBus;
import io.agentbus.BusOptions;
import io.agentbus.embedded.RedisClusterNodes;
import io.agentbus.testkit.AgentBusContract;
import io.agentbus.testkit.RedisTopologyExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The contract on a Redis Cluster of three masters and three replicas, started once for the class: fresh
 * agent ids land on every master, so each feature meets keys of several slots.
 */
@ExtendWith(RedisTopologyExtension.class)
class RedisClusterContractIT extends AgentBusContract {

    private String uri;

    @BeforeAll
    void rememberCluster(RedisClusterNodes cluster) {
        uri = cluster.uri();
    }

    @Override
    protected AgentBus connect(BusOptions options) {
        return AgentBus.connect(uri, options);
    }

    @Override
    protected String topology() {
        return "cluster";
    }
}
