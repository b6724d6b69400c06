package io.agentbus.testkit.memory;

import io.agentbus.Envelope;
import io.agentbus.Subscription;
import io.agentbus.broadcast.BroadcastHandler;
import io.agentbus.broadcast.BroadcastStats;
import io.agentbus.broadcast.PublishReceipt;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;

/**
 * Ephemeral broadcasts of one in-memory bus, Redis Pub/Sub's rules: a message reaches the listenings
 * (of every bus on the server) whose channel, or glob pattern ({@code * ? [...]}), matches it now, and
 * nobody else; the receipt counts the buses that heard it. Each listening handles its messages one at a
 * time, in order, on its bus's executor. Nothing is ever missed in memory, so {@code gaps} and
 * {@code malformed} stay 0.
 */
final class MemoryBroadcasts {

    private static final System.Logger log = System.getLogger(MemoryBroadcasts.class.getName());
    private static final Pattern CHANNEL = Pattern.compile("[!-~]{1,256}");

    private final InMemoryAgentBus bus;
    private final InMemoryServer server;
    private final Map<String, AtomicLong> sequences = new ConcurrentHashMap<>();
    private final LongAdder published = new LongAdder();
    private final LongAdder unheard = new LongAdder();
    private final LongAdder received = new LongAdder();

    MemoryBroadcasts(InMemoryAgentBus bus) {
        this.bus = bus;
        this.server = bus.server();
    }

    PublishReceipt publish(String channel, Envelope message) {
        checkChannel(channel);
        long sequence =
                sequences.computeIfAbsent(channel, c -> new AtomicLong()).incrementAndGet();
        List<Listening> hearing = new ArrayList<>();
        for (Listening listening : server.listenings) {
            if (listening.matches(channel)) {
                hearing.add(listening);
            }
        }
        long receivers =
                hearing.stream().map(listening -> listening.owner).distinct().count();
        published.increment();
        if (receivers == 0) {
            unheard.increment();
        }
        for (Listening listening : hearing) {
            listening.deliver(channel, message);
        }
        return new PublishReceipt(message.messageId(), channel, sequence, receivers);
    }

    Subscription listen(String channelOrPattern, BroadcastHandler handler) {
        checkChannel(channelOrPattern);
        Listening listening = new Listening(channelOrPattern, handler);
        server.listenings.add(listening);
        return listening;
    }

    BroadcastStats stats() {
        return new BroadcastStats(published.sum(), unheard.sum(), received.sum(), 0, 0);
    }

    private static void checkChannel(String channel) {
        if (channel == null || !CHANNEL.matcher(channel).matches()) {
            throw new IllegalArgumentException(
                    "channel must be 1-256 printable ASCII characters without spaces, was '" + channel + "'");
        }
    }

    /** Redis's glob rules as a regular expression: {@code *}, {@code ?}, {@code [...]} ({@code [^...]}), {@code \} escapes. */
    static Pattern glob(String pattern) {
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '*') {
                regex.append(".*");
            } else if (c == '?') {
                regex.append('.');
            } else if (c == '[' && pattern.indexOf(']', i + 1) > i + 1) {
                int close = pattern.indexOf(']', i + 1);
                String members = pattern.substring(i + 1, close);
                boolean negated = members.startsWith("^");
                regex.append(negated ? "[^" : "[");
                for (char member : (negated ? members.substring(1) : members).toCharArray()) {
                    if ("\\[]^&".indexOf(member) >= 0) {
                        regex.append('\\');
                    }
                    regex.append(member);
                }
                regex.append(']');
                i = close;
            } else if (c == '\\' && i + 1 < pattern.length()) {
                regex.append(Pattern.quote(String.valueOf(pattern.charAt(++i))));
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(regex.toString(), Pattern.DOTALL);
    }

    /** One {@code listen} call: its channel or pattern, and its queue of messages to handle in order. */
    final class Listening implements Subscription {

        final InMemoryAgentBus owner = bus;
        private final String channel;
        private final Pattern pattern;
        private final BroadcastHandler handler;
        private final Queue<Runnable> queue = new ArrayDeque<>();
        private boolean draining;
        private volatile boolean closed;

        private Listening(String channel, BroadcastHandler handler) {
            this.channel = channel;
            boolean isPattern = channel.indexOf('*') >= 0 || channel.indexOf('?') >= 0 || channel.indexOf('[') >= 0;
            this.pattern = isPattern ? glob(channel) : null;
            this.handler = handler;
        }

        boolean matches(String published) {
            return !closed
                    && (pattern == null
                            ? channel.equals(published)
                            : pattern.matcher(published).matches());
        }

        private void deliver(String publishedOn, Envelope message) {
            server.workStarted();
            boolean start;
            synchronized (this) {
                queue.add(() -> handle(publishedOn, message));
                start = !draining;
                draining = true;
            }
            if (start) {
                owner.execute(this::drain);
            }
        }

        private void drain() {
            while (true) {
                Runnable next;
                synchronized (this) {
                    next = queue.poll();
                    if (next == null) {
                        draining = false;
                        return;
                    }
                }
                try {
                    next.run();
                } finally {
                    server.workEnded();
                }
            }
        }

        private void handle(String publishedOn, Envelope message) {
            if (closed) {
                return;
            }
            received.increment();
            try {
                handler.handle(publishedOn, message);
            } catch (Exception e) {
                log.log(Level.WARNING, () -> "broadcast handler on " + channel + " failed; listening goes on: " + e);
            }
        }

        @Override
        public String consumer() {
            return channel;
        }

        @Override
        public void close() {
            closed = true;
            server.listenings.remove(this);
        }
    }
}
