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
 * {@code DepartmentMain <system> <redis-uri> <process> <processes> <agents-per-process> <window> <rate> <warm-up-s>
 * <s>}. It runs its agents' consumers and one sender thread, and talks with the coordinator in lines: on stdout
 * {@value #PREFIX} followed by {@code READY}, {@code SENT n0 n1 …} (messages it sent so far to each process's
 * agents), {@code DRAINED}, {@code RESULT <handled> <histogram> <handled> <histogram>} (the fixed-rate run, then
 * the as-fast-as-handled run; HdrHistograms compressed, in Base64) or {@code ERROR <what>}; on stdin
 * {@code GO <start>}, {@code DRAIN <messages sent to this process so far>} and {@code CLOSE}. The lines go
 * READY, GO, SENT, DRAIN, DRAINED (the warm-up), GO, SENT, DRAIN, DRAINED (the measured runs), CLOSE, RESULT.
 *
 * <p>Agent {@code a} of the department sends its n-th message to agent {@code (a + 1 + n mod (N − 1)) mod N}:
 * to each other agent in turn; the sender takes this process's agents in turn. Times are on one clock for all
 * processes ({@link Payloads#ORIGIN_PROPERTY}). It sends
 * <ol>
 *   <li>as fast as handled for the warm-up: at most {@code window} messages sent by this process beyond those
 *       handled by it (traffic is symmetric, so this bounds what is in transit instead of letting a backlog
 *       grow); then every process waits until all it was sent is handled, so no backlog reaches the next run;
 *   <li>at its share of the fixed total {@code rate}, open loop, each payload stamped with its intended send
 *       time, for the first measured run;
 *   <li>as fast as handled again, each payload stamped with its send time, for the second measured run.
 * </ol>
 * In each measured run the handler records handler start − stamp of every message it handles.
 */
public final class DepartmentMain {

    static final String PREFIX = "@department ";

    private final BenchSystem.Member member;
    private final Sink sink;
    private final int process;
    private final int processes;
    private final int perProcess;
    private final long[] sentTo;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private long sent;

    private DepartmentMain(BenchSystem.Member member, Sink sink, int process, int processes, int perProcess) {
        this.member = member;
        this.sink = sink;
        this.process = process;
        this.processes = processes;
        this.perProcess = perProcess;
        this.sentTo = new long[processes];
    }

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
        int rate = Integer.parseInt(args[6]);
        long warmup = TimeUnit.SECONDS.toNanos(Long.parseLong(args[7]));
        long measured = TimeUnit.SECONDS.toNanos(Long.parseLong(args[8]));
        List<String> members = new ArrayList<>();
        for (int i = 0; i < perProcess; i++) {
            members.add(DepartmentScenario.agent(process * perProcess + i));
        }

        Sink sink = new Sink();
        BenchSystem.Member member = system.openDepartment(redisUri, members, sink);
        String result;
        try {
            DepartmentMain sender = new DepartmentMain(member, sink, process, processes, perProcess);
            say(out, "READY");
            long warmupFrom = Long.parseLong(await(in, "GO"));
            waitUntil(warmupFrom);
            sender.asFastAsHandled(warmupFrom + warmup, window);
            sender.drain(out, in);

            long rateFrom = Long.parseLong(await(in, "GO"));
            long fastFrom = rateFrom + measured;
            waitUntil(rateFrom);
            Measured atRate = sender.measure(() -> sender.atRate(rateFrom, fastFrom, rate));
            Measured asFast = sender.measure(() -> sender.asFastAsHandled(fastFrom + measured, window));
            sender.drain(out, in);
            await(in, "CLOSE");
            result = "RESULT " + atRate + " " + asFast;
        } finally {
            member.close();
        }
        say(out, result);
    }

    /**
     * Tells the coordinator how many messages this process sent to each process so far ({@code SENT}), then
     * waits until it handled all those the coordinator says were sent to it ({@code DRAIN}), and says so.
     */
    private void drain(PrintStream out, BufferedReader in) throws Exception {
        StringBuilder counts = new StringBuilder("SENT");
        for (long count : sentTo) {
            counts.append(' ').append(count);
        }
        say(out, counts.toString());
        awaitHandled(sink, Long.parseLong(await(in, "DRAIN")));
        checkSends();
        say(out, "DRAINED");
    }

    /** What one measured run handled in this process, and the latencies; as text, as RESULT carries it. */
    private record Measured(long handled, Histogram latencies) {
        @Override
        public String toString() {
            return handled + " " + encode(latencies);
        }
    }

    private interface Run {
        void run() throws Exception;
    }

    /** Runs {@code run} with the handler recording latencies; what was handled meanwhile, and the histogram. */
    private Measured measure(Run run) throws Exception {
        Recorder recorder = new Recorder(3);
        long before = sink.handled();
        sink.expect(Integer.MAX_VALUE, recorder);
        run.run();
        sink.expect(0, null);
        return new Measured(sink.handled() - before, recorder.getIntervalHistogram());
    }

    /** Sends until {@code until}, never more than {@code window} messages beyond what this process handled. */
    private void asFastAsHandled(long until, int window) {
        for (long now = Payloads.now(); now < until; now = Payloads.now()) {
            if (sent - sink.handled() >= window) {
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(20));
                continue;
            }
            send(now);
        }
    }

    /**
     * Sends this process's share of {@code rate} messages a second from {@code from} until {@code until}, each at
     * its intended time, whatever the system does (late if a send blocked, never after {@code until}): the
     * processes' sends interleave evenly.
     */
    private void atRate(long from, long until, int rate) {
        double period = 1e9 / rate;
        for (long k = 0; ; k++) {
            long intended = from + Math.round((k * processes + process) * period);
            // A sender that fell behind (sends that block) stops on time all the same: the next run's window is
            // its own, and what was handled here, below the rate, shows the department did not keep up.
            if (intended >= until || Payloads.now() >= until) {
                return;
            }
            waitUntil(intended);
            send(intended);
        }
    }

    /** Sends the next message of this process's agents in turn, stamped {@code stamp}. */
    private void send(long stamp) {
        int agents = processes * perProcess;
        int from = process * perProcess + (int) (sent % perProcess);
        long turn = sent / perProcess;
        int to = (int) ((from + 1 + turn % (agents - 1)) % agents);
        member.send(
                        DepartmentScenario.agent(from),
                        DepartmentScenario.agent(to),
                        Payloads.stamped(stamp, Plan.PAYLOAD_BYTES))
                .whenComplete((ok, error) -> {
                    if (error != null) {
                        failure.compareAndSet(null, error);
                    }
                });
        sentTo[to / perProcess]++;
        sent++;
        checkSends();
    }

    private void checkSends() {
        if (failure.get() != null) {
            throw new IllegalStateException("send failed: " + failure.get(), failure.get());
        }
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
