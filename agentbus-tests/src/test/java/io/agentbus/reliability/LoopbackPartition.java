package io.agentbus.reliability;

import java.io.File;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A network partition on loopback: every IPv4 packet between one address and any other is dropped,
 * except to and from one peer (the test's own client, on 127.0.0.1), until {@link #heal()} or
 * {@link #close()}. The servers on either side need addresses of their own, and must open their own
 * connections from them ({@code LocalRedis.Builder.host}).
 *
 * <p>How: a {@code tc} filter on the egress of {@code lo} (every loopback packet passes there once),
 * under a {@code clsact} qdisc, which leaves the root qdisc and all other traffic alone. The usual
 * {@code u32 ... action drop} needs the {@code act_gact} module, which small kernels (Firecracker CI
 * VMs) lack, and there is no iptables; so the filter is a classic BPF program run by {@code cls_bpf}
 * in direct-action mode, whose return value is the verdict: {@code TC_ACT_SHOT} (2) drops, anything
 * else passes on. Root only. Filters are removed on heal and close, and by a shutdown hook if the JVM
 * exits first; the {@code clsact} qdisc is removed too if this class added it.
 */
final class LoopbackPartition implements AutoCloseable {

    /** Filter preferences of this class: a range nothing else on the machine is expected to use. */
    private static final int FIRST_PREF = 41_000;

    private static final AtomicInteger NEXT_PREF = new AtomicInteger(FIRST_PREF);
    private static final Path TC = findOnPath("tc");
    private static final Set<LoopbackPartition> ACTIVE = ConcurrentHashMap.newKeySet();
    private static volatile boolean addedClsact;

    static {
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> ACTIVE.forEach(LoopbackPartition::heal), "agentbus-loopback-partition-healer"));
    }

    private final int pref;
    private final long startedNanos = System.nanoTime();
    private volatile long healedNanos;

    private LoopbackPartition(int pref) {
        this.pref = pref;
    }

    /** Why a partition cannot be made here (not root, no {@code tc}), or empty if it can. */
    static Optional<String> unavailable() {
        if (TC == null) {
            return Optional.of("no tc (iproute2) on PATH");
        }
        try {
            String uid = run(List.of("id", "-u")).strip();
            if (!uid.equals("0")) {
                return Optional.of("tc filters need root, running as uid " + uid);
            }
            run(List.of(tc(), "qdisc", "show", "dev", "lo"));
        } catch (IOException e) {
            return Optional.of(e.getMessage());
        }
        return Optional.empty();
    }

    /** Drops every packet between {@code isolated} and any address but {@code peer}, from now on. */
    static synchronized LoopbackPartition isolate(String isolated, String peer) throws IOException {
        String program = program(ipv4(isolated), ipv4(peer));
        if (!run(List.of(tc(), "qdisc", "show", "dev", "lo")).contains("clsact")) {
            run(List.of(tc(), "qdisc", "add", "dev", "lo", "clsact"));
            addedClsact = true;
        }
        LoopbackPartition partition = new LoopbackPartition(NEXT_PREF.getAndIncrement());
        ACTIVE.add(partition);
        try {
            run(List.of(
                    tc(),
                    "filter",
                    "add",
                    "dev",
                    "lo",
                    "egress",
                    "pref",
                    Integer.toString(partition.pref),
                    "protocol",
                    "ip",
                    "bpf",
                    "bytecode",
                    program,
                    "da"));
        } catch (IOException e) {
            partition.heal();
            throw e;
        }
        return partition;
    }

    /** Lets traffic through again; returns how long the partition lasted, in milliseconds. Idempotent. */
    synchronized long heal() {
        if (ACTIVE.remove(this)) {
            healedNanos = System.nanoTime();
            try {
                run(List.of(tc(), "filter", "del", "dev", "lo", "egress", "pref", Integer.toString(pref)));
            } catch (IOException e) {
                // no such filter: the add failed, nothing to remove
            }
            removeClsactIfIdle();
        }
        return TimeUnit.NANOSECONDS.toMillis(healedNanos - startedNanos);
    }

    @Override
    public void close() {
        heal();
    }

    private static synchronized void removeClsactIfIdle() {
        if (addedClsact && ACTIVE.isEmpty()) {
            try {
                run(List.of(tc(), "qdisc", "del", "dev", "lo", "clsact"));
                addedClsact = false;
            } catch (IOException e) {
                // already gone
            }
        }
    }

    /**
     * The classic BPF program, in {@code tc}'s {@code bytecode} syntax (count, then "code jt jf k" per
     * instruction; a jump skips jt or jf instructions). Loads are from the start of the frame, which on
     * {@code lo} is a 14-byte Ethernet header: EtherType at 12, IPv4 source at 26, destination at 30.
     */
    private static String program(long isolated, long peer) {
        int ldh = 0x28; // A = half-word at k
        int ld = 0x20; // A = word at k
        int jeq = 0x15; // if A == k skip jt else skip jf
        int ret = 0x06; // return k
        long shot = 2; // TC_ACT_SHOT
        long unspec = 0xFFFF_FFFFL; // TC_ACT_UNSPEC (-1): not ours, next filter
        List<String> code = new ArrayList<>();
        code.add(ldh + " 0 0 12");
        code.add(jeq + " 0 9 " + 0x0800); // not IPv4: pass (11)
        code.add(ld + " 0 0 26");
        code.add(jeq + " 0 2 " + isolated); // from the isolated address? else look at the destination (6)
        code.add(ld + " 0 0 30");
        code.add(jeq + " 5 4 " + peer); // to the peer: pass (11), to anyone else: drop (10)
        code.add(ld + " 0 0 30");
        code.add(jeq + " 0 3 " + isolated); // to the isolated address? else pass (11)
        code.add(ld + " 0 0 26");
        code.add(jeq + " 1 0 " + peer); // from the peer: pass (11), from anyone else: drop (10)
        code.add(ret + " 0 0 " + shot);
        code.add(ret + " 0 0 " + unspec);
        return code.size() + "," + String.join(",", code);
    }

    private static long ipv4(String address) throws IOException {
        InetAddress parsed = InetAddress.getByName(address);
        if (!(parsed instanceof Inet4Address)) {
            throw new IllegalArgumentException("not an IPv4 address: " + address);
        }
        long value = 0;
        for (byte part : parsed.getAddress()) {
            value = (value << 8) | (part & 0xFF);
        }
        return value;
    }

    /** Runs {@code command}, returning its output, or throwing with its output if it failed. */
    private static String run(List<String> command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + output.strip());
            }
            return output;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted running " + String.join(" ", command), e);
        } finally {
            process.destroyForcibly();
        }
    }

    private static String tc() {
        return TC == null ? "tc" : TC.toString();
    }

    private static Path findOnPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        for (String dir : List.of("/usr/sbin", "/sbin")) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
