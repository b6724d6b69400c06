package io.agentbus.testkit;

import io.agentbus.AgentBus;
import io.agentbus.BusOptions;

/** Where the parts of {@link AgentBusContract} get their buses: opened by the subclass, closed after each test. */
interface ContractBuses {

    /** A bus with {@code options}, closed after the test. */
    AgentBus bus(BusOptions options);

    /** A bus with {@link BusOptions#defaults()}, closed after the test. */
    default AgentBus bus() {
        return bus(BusOptions.defaults());
    }
}
