package io.agentbus;

/**
 * The URI's host name does not resolve (DNS gives no address for it). Thrown by {@link AgentBus#connect}.
 */
public class HostNotFoundException extends BusUnavailableException {

    public HostNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
