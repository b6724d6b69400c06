package io.agentbus.connect;

import io.agentbus.BusUnavailableException;

/**
 * The URI's host name does not resolve (DNS gives no address for it). Thrown by {@link io.agentbus.AgentBus#connect}.
 */
public class HostNotFoundException extends BusUnavailableException {

    public HostNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
