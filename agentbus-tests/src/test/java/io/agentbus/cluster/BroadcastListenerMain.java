package io.agentbus.cluster;

import io.agentbus.AgentBus;

/**
 * A bus in a JVM of its own that listens to broadcasts and prints one line per broadcast it hears,
 * {@code HEARD <channel> <message_id>}, for {@link ClusterBroadcastIT}.
 *
 * <p>Arguments: the bus URI, then the channels or patterns to listen to. Prints {@code READY <uri>}
 * once every listening is subscribed. Exits when its standard input closes, so that it never outlives
 * the test JVM that started it.
 */
public final class BroadcastListenerMain {

    private BroadcastListenerMain() {}

    public static void main(String[] args) throws Exception {
        AgentBus bus = AgentBus.connect(args[0]);
        for (int i = 1; i < args.length; i++) {
            // listen returns once Redis confirmed the subscription: READY promises it.
            bus.listen(
                    args[i], (channel, message) -> System.out.println("HEARD " + channel + " " + message.messageId()));
        }
        System.out.println("READY " + args[0]);
        System.out.flush();

        while (System.in.read() != -1) {
            // nothing to read: stdin only tells us when the parent is gone
        }
        Runtime.getRuntime().halt(3);
    }
}
