package io.agentbus.contract;

import io.agentbus.testkit.memory.InMemoryContract;

/**
 * The contract on in-memory buses, beside the Redis topologies' runs, so that one run of the contract
 * ITs compares them ({@link ContractSummary} prints the aggregate line). Needs no Redis.
 */
class InMemoryContractIT extends InMemoryContract {}
