package io.agentbus.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One process of the department scenario ({@link DepartmentScenario}), in a JVM of its own:
 * {@code DepartmentMain <system> <redis-uri> <process> <processes> <agents-per-process> <window> <warm-up-s> <s>}.
 * It runs its agents' consumers and one sender thread, and talks with the coordinator in lines: on stdout
 * {@value #PREFIX} followed by {@code READY}, {@code SENT n0 n1 …} (messages it sent to each process's agents),
 * {@code DRAINED}, {@code RESULT <handled in the measured run> <HdrHistogram, compressed, Base64>} or
 * {@code ERROR <what>}; on stdin {@code GO <start>}, {@code DRAIN <messages to expect>} and {@code CLOSE}.
 *
 * <p>Agent {@code a} of the department sends its n-th message to agent {@code (a + 1 + n mod (N − 1)) mod N}:
 * to each other agent in turn. The sender takes this process's agents in turn and sends as fast as the
 * department handles it, keeping at most {@code window} messages sent by this process beyond those handled by
 * it: traffic is symmetric, so this bounds what is in transit instead of letting a backlog grow. Each payload
 * carries its send time; the handler records handler start − send time during the measured run only. Times
 * are on one clock for all processes ({@link Payloads#ORIGIN_PROPERTY}).
 */
public final class DepartmentMain {

    static final String PREFIX = "@department ";

    private DepartmentMain() {}

    public static void main(String[] args) throws Exception {
        PrintStream out = System.out;
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try {
            run(args, out, in);
            System.exit(0);
        } catch (Throwable e) {
            e.printStackTrace();
            out.println(PREFIX + "ERROR " + String.valueOf(e).replace('\n', ' '));
            out.flush();
            System.exit(1);
        }
    }

    private static void run(String[] args, PrintStream out, BufferedReader in) throws Exception {
        BenchSystem system = Systems.adapter(args[0]);
        String redisUri = args[1];
        int process = Integer.parseInt(args[2]);
        int processes = Integer.parseInt(args[3]);
        int perProcess = Integer.parseInt(args[4]);
        int window = Integer.parseInt(args[5]);
        long warmup = TimeUnit.SECONDS.toNanos(Long.parseLong(args[6]));
        long measured = TimeUnit.SECONDS.toNanos(Long.parseLong(args[7]));
        int agents = processes * perProcess;
        List<String> members = new ArrayList<>();
        for (int i = 0; i < perProcess; i++) {
            members.add(DepartmentScenario.agent(process * perProcess + i));
        }

        Sink sink = new Sink();
        BenchSystem.Member member = system.openDepartment(redisUri, members, sink);
        String result;
        try {
            say(out, "READY");
            long start = Long.parseLong(await(in, "GO"));
            long measureFrom = start + warmup;
            long end = measureFrom + measured;
            long[] sentTo = new long[processes];
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Recorder recorder = new Recorder(3);
            long handledAtStart = -1;
            long sent = 0;
            waitUntil(start);
            for (long now = Payloads.now(); now < end; now = Payloads.now()) {
                if (handledAtStart < 0 && now >= measureFrom) {
                    handledAtStart = sink.handled();
                    sink.expect(Integer.MAX_VALUE, recorder);
                }
                if (sent - sink.handled() >= window) {
                    LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(20));
                    continue;
                }
                int from = process * perProcess + (int) (sent % perProcess);
                long turn = sent / perProcess;
                int to = (int) ((from + 1 + turn % (agents - 1)) % agents);
                member.send(
                                DepartmentScenario.agent(from),
                                DepartmentScenario.agent(to),
                                Payloads.stamped(Payloads.now(), Plan.PAYLOAD_BYTES))
                        .whenComplete((ok, error) -> {
                            if (error != null) {
                                failure.compareAndSet(null, error);
                            }
                        });
                sentTo[to / perProcess]++;
                sent++;
                if (failure.get() != null) {
                    throw new IllegalStateException("send failed: " + failure.get(), failure.get());
                }
            }
            sink.expect(0, null);
            long handledInRun = sink.handled() - handledAtStart;
            Histogram latencies = recorder.getIntervalHistogram();
            StringBuilder counts = new StringBuilder("SENT");
            for (long count : sentTo) {
                counts.append(' ').append(count);
            }
            say(out, counts.toString());

            long expected = Long.parseLong(await(in, "DRAIN"));
            awaitHandled(sink, expected);
            if (failure.get() != null) {
                throw new IllegalStateException("send failed: " + failure.get(), failure.get());
            }
            say(out, "DRAINED");
            await(in, "CLOSE");
            result = "RESULT " + handledInRun + " " + encode(latencies);
        } finally {
            member.close();
        }
        say(out, result);
    }

    /** Waits until {@code sink} handled exactly {@code expected} messages; more is a duplicate delivery. */
    private static void awaitHandled(Sink sink, long expected) throws TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (sink.handled() < expected) {
            if (System.nanoTime() - deadline > 0) {
                throw new TimeoutException((expected - sink.handled()) + " of " + expected
                        + " messages sent to this process not handled within 60 s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        if (sink.handled() > expected) {
            throw new IllegalStateException(
                    "handled " + sink.handled() + " messages, but " + expected + " were sent to this process");
        }
    }

    private static void waitUntil(long stamp) {
        long wait;
        while ((wait = stamp - Payloads.now()) > 0) {
            LockSupport.parkNanos(wait);
        }
    }

    private static void say(PrintStream out, String line) {
        out.println(PREFIX + line);
        out.flush();
    }

    /** Reads the coordinator's next line, which must be {@code word} (and an argument); returns the argument. */
    private static String await(BufferedReader in, String word) throws Exception {
        String line = in.readLine();
        if (line == null || !(line.equals(word) || line.startsWith(word + " "))) {
            throw new IllegalStateException("expected " + word + " from the coordinator, got " + line);
        }
        return line.substring(word.length()).trim();
    }

    static String encode(Histogram histogram) {
        ByteBuffer buffer = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
        int length = histogram.encodeIntoCompressedByteBuffer(buffer);
        return Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(buffer.array(), length));
    }

    static Histogram decode(String base64) throws Exception {
        return Histogram.decodeFromCompressedByteBuffer(
                ByteBuffer.wrap(Base64.getDecoder().decode(base64)), 0);
    }
}
