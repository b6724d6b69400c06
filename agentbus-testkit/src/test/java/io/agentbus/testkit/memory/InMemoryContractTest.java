package io.agentbus.testkit.memory;

/** The contract on in-memory buses: no Redis, a plain unit test. */
class InMemoryContractTest extends InMemoryContract {}
