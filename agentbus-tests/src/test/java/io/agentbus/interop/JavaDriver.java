package io.agentbus.interop;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Backoff;
import io.agentbus.BusOptions;
import io.agentbus.Delivery;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.MessageHandler;
import io.agentbus.RequestTimeoutException;
import io.agentbus.SendReceipt;
import io.agentbus.broadcast.DurableTopic;
import io.agentbus.broadcast.PublishReceipt;
import io.agentbus.deadletter.DeadLetter;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The interop driver (interop-spec.md) done with the Java library's public API, so that Java takes
 * part in the interop matrix through the same commands as the Python and Node clients. It runs in
 * the test's JVM ({@link JavaPeer}), or as a process of its own through {@link #main} where an
 * instance must be killed. Every command opens a bus of its own, as a driver process would.
 *
 * <p>One gap with the contract: {@code swarm-publish} prints {@code {"outcome":"published"}}, as the
 * Java swarm API reports whether an event went out or was deferred, not how many listeners heard it.
 */
final class JavaDriver {

    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;
    static final int TIMED_OUT = 3;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> FLAGS = Set.of("--hold", "--fail-always", "--echo", "--from-start");
    /** Retries come back within 100 ms, as the contract asks (at most 200 ms), so tests stay fast. */
    private static final Backoff RETRY_BACKOFF = Backoff.fixed(Duration.ofMillis(100));
    /** A peer named by no option: what Java writes as from_agent/to_agent where the command gives none. */
    private static final String UNNAMED = "interop-java";

    private final Consumer<String> stdout;
    private final Consumer<String> stderr;
    private final List<String> positional = new ArrayList<>();
    private final Map<String, String> options = new HashMap<>();
    private final Set<String> flags = new HashSet<>();

    private JavaDriver(Consumer<String> stdout, Consumer<String> stderr) {
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** As a process: prints to stdout/stderr, exits with the command's code even if a handler still holds. */
    public static void main(String[] args) {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        int code = run(List.of(args), out::println, System.err::println);
        out.flush();
        Runtime.getRuntime().halt(code);
    }

    /** Runs one command; returns its exit code. Interrupting the calling thread ends it. */
    static int run(List<String> args, Consumer<String> stdout, Consumer<String> stderr) {
        JavaDriver driver = new JavaDriver(stdout, stderr);
        try {
            driver.parse(args);
            return driver.execute();
        } catch (IllegalArgumentException e) {
            stderr.accept("usage: " + e.getMessage());
            return USAGE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stderr.accept("interrupted");
            return FAILED;
        } catch (Exception e) {
            stderr.accept("error: " + e);
            return FAILED;
        }
    }

    private void parse(List<String> args) {
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (FLAGS.contains(arg)) {
                flags.add(arg);
            } else if (arg.startsWith("--")) {
                if (i + 1 == args.size()) {
                    throw new IllegalArgumentException(arg + " needs a value");
                }
                options.put(arg, args.get(++i));
            } else {
                positional.add(arg);
            }
        }
        if (positional.isEmpty()) {
            throw new IllegalArgumentException("no command");
        }
    }

    private int execute() throws Exception {
        String command = positional.get(0);
        try (AgentBus bus = AgentBus.connect(required("--redis"), BusOptions.defaults())) {
            return switch (command) {
                case "send" -> send(bus);
                case "receive" -> receive(bus);
                case "serve" -> serve(bus);
                case "request" -> request(bus);
                case "publish" -> publish(bus);
                case "listen" -> listen(bus);
                case "topic-publish" -> topicPublish(bus);
                case "topic-subscribe" -> topicSubscribe(bus);
                case "dlq-list" -> dlqList(bus);
                case "swarm-publish" -> swarmPublish(bus);
                case "swarm-listen" -> swarmListen(bus);
                case "messenger-send" -> messengerSend(bus);
                case "messenger-receive" -> messengerReceive(bus);
                default -> throw new IllegalArgumentException("unknown command " + command);
            };
        }
    }

    private int send(AgentBus bus) {
        Envelope envelope = message(option("--from", UNNAMED), required("--to"), "--payload");
        long delayMillis = Long.parseLong(option("--delay-ms", "0"));
        SendReceipt receipt = delayMillis > 0
                ? bus.sync().send(envelope, Duration.ofMillis(delayMillis))
                : bus.sync().send(envelope);
        print(receiptLine(receipt));
        return OK;
    }

    /**
     * One instance of the agent. A message counts toward {@code --count} once settled for good: acked,
     * or failed on its last attempt (then dead-lettered); the command waits for the inbox to have
     * nothing pending before the bus closes, so that the last outcome is in Redis when it exits.
     */
    private int receive(AgentBus bus) throws InterruptedException {
        AgentId agent = AgentId.of(argument(1, "AGENT"));
        int maxAttempts = Integer.parseInt(option("--max-attempts", "3"));
        int failTimes =
                flags.contains("--fail-always") ? Integer.MAX_VALUE : Integer.parseInt(option("--fail-times", "0"));
        boolean hold = flags.contains("--hold");
        DeliveryOptions delivery = DeliveryOptions.builder()
                .visibilityTimeout(Duration.ofMillis(Long.parseLong(option("--visibility-ms", "30000"))))
                .maxAttempts(maxAttempts)
                .backoff(RETRY_BACKOFF)
                .build();
        Semaphore settled = new Semaphore(0);
        bus.subscribe(agent, delivery, message -> {
            print(deliveryLine(message.envelope(), message.attempt(), message.entryId()));
            if (hold) {
                print(Map.of("holding", true));
                new CountDownLatch(1).await(); // until the process is killed
            }
            if (message.attempt() <= failTimes) {
                if (message.attempt() >= maxAttempts) {
                    settled.release();
                }
                throw new IllegalStateException("attempt " + message.attempt() + " fails, as the driver was told");
            }
            settled.release();
        });
        stderr.accept("ready " + agent.value());
        boolean done = settled.tryAcquire(count(), timeoutMillis(), TimeUnit.MILLISECONDS);
        if (done) {
            awaitNothingPending(bus, agent);
        }
        return done ? OK : TIMED_OUT;
    }

    private int serve(AgentBus bus) throws Exception {
        AgentId agent = AgentId.of(argument(1, "AGENT"));
        String reply = flags.contains("--echo")
                ? null
                : JSON.readTree(required("--reply")).toString();
        Semaphore served = new Semaphore(0);
        bus.serve(agent, request -> {
            print(deliveryLine(request.envelope(), request.attempt(), request.entryId()));
            served.release();
            return reply == null ? request.envelope().payload() : reply;
        });
        stderr.accept("ready " + agent.value());
        boolean done = served.tryAcquire(count(), timeoutMillis(), TimeUnit.MILLISECONDS);
        if (done) {
            awaitNothingPending(bus, agent); // each reply stored and its request acked
        }
        return done ? OK : TIMED_OUT;
    }

    private int request(AgentBus bus) {
        AgentId requester = AgentId.of(required("--from"));
        // The reply comes to the requester's inbox: its subscription must run (its handler never sees it).
        bus.subscribe(requester, message -> {});
        try {
            Envelope reply = bus.sync()
                    .request(
                            message(requester.value(), required("--to"), "--payload"),
                            Duration.ofMillis(timeoutMillis()));
            print(deliveryLine(reply, 1, null));
            return OK;
        } catch (RequestTimeoutException e) {
            stderr.accept("no reply: " + e.getMessage());
            return TIMED_OUT;
        }
    }

    private int publish(AgentBus bus) {
        PublishReceipt receipt = bus.sync().publish(argument(1, "CHANNEL"), message(UNNAMED, UNNAMED, "--payload"));
        print(Map.of("receivers", receipt.receivers()));
        return OK;
    }

    private int listen(AgentBus bus) throws InterruptedException {
        String pattern = argument(1, "PATTERN");
        Semaphore heard = new Semaphore(0);
        bus.listen(pattern, (channel, message) -> {
            print(deliveryLine(message, 1, null));
            heard.release();
        });
        stderr.accept("ready " + pattern);
        return heard.tryAcquire(count(), timeoutMillis(), TimeUnit.MILLISECONDS) ? OK : TIMED_OUT;
    }

    private int topicPublish(AgentBus bus) {
        String topic = argument(1, "TOPIC");
        SendReceipt receipt = bus.topic(topic)
                .publish(message(option("--from", UNNAMED), topic, "--payload"))
                .toCompletableFuture()
                .join();
        print(receiptLine(receipt));
        return OK;
    }

    private int topicSubscribe(AgentBus bus) throws InterruptedException {
        String topic = argument(1, "TOPIC");
        DurableTopic.StartFrom from =
                flags.contains("--from-start") ? DurableTopic.StartFrom.OLDEST : DurableTopic.StartFrom.NOW;
        return countDeliveries(
                topic, handler -> bus.topic(topic).subscribe(AgentId.of(required("--group")), from, handler));
    }

    private int dlqList(AgentBus bus) {
        for (DeadLetter dead : bus.deadLetters(AgentId.of(argument(1, "AGENT"))).list(1_000)) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("message_id", dead.fields().get("message_id"));
            line.put("dlq_reason", dead.reason().code());
            line.put("entry_id", dead.id());
            print(line);
        }
        return OK;
    }

    private int swarmPublish(AgentBus bus) {
        String swarm = argument(1, "SWARM");
        String type = argument(2, "TYPE");
        Envelope event =
                message(UNNAMED, swarm, "--data").toBuilder().type(type).build();
        var outcome = bus.swarmEvents(swarm)
                .publish(type, event)
                .toCompletableFuture()
                .join();
        print(Map.of("outcome", outcome.name().toLowerCase(java.util.Locale.ROOT)));
        return OK;
    }

    private int swarmListen(AgentBus bus) throws InterruptedException {
        String swarm = argument(1, "SWARM");
        String pattern = argument(2, "PATTERN");
        Semaphore heard = new Semaphore(0);
        bus.swarmEvents(swarm).listen(pattern, (channel, event) -> {
            print(deliveryLine(event, 1, null));
            heard.release();
        });
        stderr.accept("ready event:{" + swarm + "}:" + pattern);
        return heard.tryAcquire(count(), timeoutMillis(), TimeUnit.MILLISECONDS) ? OK : TIMED_OUT;
    }

    private int messengerSend(AgentBus bus) {
        Envelope message = message(argument(1, "FROM_SWARM"), argument(2, "TO_SWARM"), "--message");
        SendReceipt receipt =
                bus.swarms().messenger().send(message).toCompletableFuture().join();
        print(Map.of("message_id", receipt.messageId().value(), "entry_id", receipt.entryId()));
        return OK;
    }

    private int messengerReceive(AgentBus bus) throws InterruptedException {
        String swarm = argument(1, "SWARM");
        return countDeliveries(swarm, handler -> bus.swarms().messenger().receive(swarm, handler));
    }

    /** Starts a consumer with a handler that prints and acks each delivery; waits for {@code --count} of them. */
    private int countDeliveries(String what, Consumer<MessageHandler> subscribe) throws InterruptedException {
        Semaphore handled = new Semaphore(0);
        subscribe.accept((Delivery message) -> {
            print(deliveryLine(message.envelope(), message.attempt(), message.entryId()));
            handled.release();
        });
        stderr.accept("ready " + what);
        return handled.tryAcquire(count(), timeoutMillis(), TimeUnit.MILLISECONDS) ? OK : TIMED_OUT;
    }

    private void awaitNothingPending(AgentBus bus, AgentId agent) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis());
        while (bus.sync().inbox(agent).pending() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20); // the settle is a Redis call the handler's return starts: a few ms
        }
    }

    /** The message a sending command describes; its payload from {@code payloadOption} (a JSON object). */
    private Envelope message(String from, String to, String payloadOption) {
        Envelope.Builder builder = Envelope.builder()
                .from(from)
                .to(to)
                .type(option("--type", "task"))
                .payload(option(payloadOption, "{}"))
                .priority(option("--priority", "5"));
        if (options.containsKey("--message-id")) {
            builder.messageId(options.get("--message-id"));
        }
        return builder.build();
    }

    private static Map<String, Object> receiptLine(SendReceipt receipt) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("message_id", receipt.messageId().value());
        // A delayed message has no inbox entry yet: Java's receipt says so with an empty id, the contract with null.
        line.put("entry_id", receipt.entryId() == null || receipt.entryId().isEmpty() ? null : receipt.entryId());
        line.put("duplicate", receipt.duplicate());
        return line;
    }

    /** The contract's delivery line. */
    private static Map<String, Object> deliveryLine(Envelope envelope, int attempt, String entryId) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("message_id", envelope.messageId().value());
        line.put("from_agent", envelope.fromAgent().value());
        line.put("to_agent", envelope.toAgent().value());
        line.put("message_type", envelope.messageType());
        try {
            line.put("payload", JSON.readTree(envelope.payload()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the bus delivered a payload that is not JSON: " + envelope.payload(), e);
        }
        line.put("priority", envelope.priority());
        line.put("attempt", attempt);
        line.put("correlation_id", envelope.correlationId().orElse(null));
        line.put("reply_to", envelope.replyTo().map(AgentId::value).orElse(null));
        line.put("conversation_id", envelope.conversationId().orElse(null));
        line.put("entry_id", entryId);
        return line;
    }

    private void print(Map<String, Object> line) {
        try {
            stdout.accept(JSON.writeValueAsString(line));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private String argument(int index, String name) {
        if (positional.size() <= index) {
            throw new IllegalArgumentException(positional.get(0) + " needs " + name);
        }
        return positional.get(index);
    }

    private String required(String option) {
        String value = options.get(option);
        if (value == null) {
            throw new IllegalArgumentException(positional.get(0) + " needs " + option);
        }
        return value;
    }

    private String option(String option, String fallback) {
        return options.getOrDefault(option, fallback);
    }

    private int count() {
        return Integer.parseInt(option("--count", "1"));
    }

    private long timeoutMillis() {
        return Long.parseLong(option("--timeout-ms", "10000"));
    }
}
