/**
 * Why connecting to Redis failed: one exception type per cause, so that a program (and the CLI's exit
 * code) can tell a wrong password from a closed port or an untrusted certificate. Each extends the type
 * a caller of {@link io.agentbus.AgentBus#connect} already catches: {@link io.agentbus.BusAuthException}
 * for credentials, {@link io.agentbus.BusUnavailableException} for a server that cannot be reached, and
 * {@link io.agentbus.connect.BusTlsException} for TLS.
 */
package io.agentbus.connect;
