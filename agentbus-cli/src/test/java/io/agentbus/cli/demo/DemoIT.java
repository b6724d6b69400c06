package io.agentbus.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentBus;
import io.agentbus.ConsumerOptions;
import io.agentbus.InboxStats;
import io.agentbus.cli.CliRun;
import io.agentbus.deadletter.DeadLetter;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RedisServerConfig;
import io.agentbus.testkit.RedisServerExtension;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisServerExtension.class)
@RedisServerConfig(perTest = true) // each test counts what the demo left in Redis
class DemoIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern AUDIT_HEADER = Pattern.compile(
            "(?m)^audit tail --conversation (escalation-[0-9a-f]{8}):   \\(\\./agentbus audit tail --conversation \\1 --redis ");
    private static final Pattern COPYWRITER_HANDLED =
            Pattern.compile("(?m)^\\s+copywriter#(\\d)\\s+(\\d+)\\s+consumer ");

    @Test
    void demoAcksOrDeadLettersEveryMessageRetriesTheTransientFailuresAndLosesNone(LocalRedis redis) throws Exception {
        int messages = 800;
        Map<Integer, String> poison = poisonSequences(messages);

        CliRun demo = CliRun.execute("demo", "--messages", "" + messages, "--redis", redis.uri());

        assertThat(demo.exitCode()).as(demo.err()).isZero();
        assertThat(demo.out().lines()).hasSize(1);
        Map<String, Long> summary = summary(demo.out());
        assertThat(summary)
                .containsEntry("sent", (long) messages)
                .containsEntry("delivered", (long) messages)
                .containsEntry("lost", 0L)
                .containsEntry("dead_lettered", (long) poison.size());
        assertThat(poison).hasSize(2).containsValues("non_retryable", "max_attempts");
        assertThat(summary.get("acked") + summary.get("dead_lettered")).isEqualTo(messages);
        assertThat(summary.get("retried")).isPositive();
        assertThat(Double.parseDouble(fields(demo.out()).get("p99_ms")))
                .isGreaterThan(0)
                .isGreaterThanOrEqualTo(Double.parseDouble(fields(demo.out()).get("p50_ms")));
        // Each announced task assignment is heard by every listening specialist instance.
        assertThat(summary.get("broadcasts")).isPositive().isEqualTo(taskAssignments(messages));
        assertThat(summary.get("broadcast_receivers"))
                .isPositive()
                .isEqualTo(summary.get("broadcasts") * specialistInstances());
        assertThat(summary.get("requests")).isPositive();
        assertThat(summary.get("replies")).isEqualTo(summary.get("requests"));
        // The escalation found a backlog waiting and was handled while most of it still waited: after at most
        // the reports already read and the next read batch, which brought it, not after all of them.
        assertThat(summary.get("escalation_backlog")).isPositive().isLessThanOrEqualTo(Escalation.BACKLOG);
        assertThat(summary.get("escalation_overtaken"))
                .isPositive()
                .isLessThanOrEqualTo(summary.get("escalation_backlog"));
        assertThat(summary.get("escalation_backlog") - summary.get("escalation_overtaken"))
                .isLessThanOrEqualTo(ConsumerOptions.DEFAULT_READ_BATCH_SIZE);
        // After the summary line, on stderr: the escalation conversation's audit trail, sent and acked.
        Matcher header = AUDIT_HEADER.matcher(demo.err());
        assertThat(header.find()).as(demo.err()).isTrue();
        String conversation = header.group(1);
        String trail = demo.err().substring(header.end());
        assertThat(trail)
                .containsPattern(
                        "(?m)^  \\S+ sent escalation brand_manager -> cmo \\S+ conversation=" + conversation + "$")
                .containsPattern(
                        "(?m)^  \\S+ acked escalation brand_manager -> cmo \\S+ conversation=" + conversation + "$");
        // What Redis holds afterwards: every message in an inbox, nothing pending, the poison in dead letters.
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            List<InboxStats> inboxes = department().stream()
                    .map(role -> bus.sync().inbox(role.id()))
                    .toList();
            assertThat(inboxes).hasSize(15).allSatisfy(inbox -> {
                assertThat(inbox.groupExists()).isTrue();
                assertThat(inbox.pending()).isZero();
            });
            // The requests sit in the content_manager's inbox, their replies in the copywriter's; the backlog
            // and the escalation in the cmo's.
            assertThat(inboxes.stream().mapToLong(InboxStats::length).sum())
                    .isEqualTo(messages + summary.get("requests") + summary.get("replies") + Escalation.BACKLOG + 1);
            Map<Integer, String> deadLetters = new LinkedHashMap<>();
            for (Department.Role role : department()) {
                for (DeadLetter dead : bus.deadLetters(role.id()).list(100)) {
                    int sequence = JSON.readTree(dead.envelope().orElseThrow().payload())
                            .get("seq")
                            .asInt();
                    deadLetters.put(sequence, dead.reason().code());
                }
            }
            assertThat(deadLetters).isEqualTo(poison);
        }
    }

    @Test
    void aSecondRunOnTheSameRedisCountsOnlyItsOwnDeadLetters(LocalRedis redis) {
        CliRun first = CliRun.execute("demo", "--messages", "400", "--redis", redis.uri());

        CliRun second = CliRun.execute("demo", "--messages", "400", "--redis", redis.uri());

        assertThat(second.exitCode()).as(second.err()).isZero();
        assertThat(summary(first.out())).containsEntry("dead_lettered", 1L).containsEntry("lost", 0L);
        Map<String, Long> again = summary(second.out());
        assertThat(again)
                .containsEntry("dead_lettered", 1L)
                .containsEntry("lost", 0L)
                .containsEntry("acked", 399L)
                .containsEntry("broadcasts", summary(first.out()).get("broadcasts"));
        // The first run's replies, acked in the copywriter inbox, are not taken for this run's.
        assertThat(again.get("replies")).isEqualTo(again.get("requests"));
    }

    @Test
    void bothCopywriterInstancesHandleMessagesFromTheSharedInbox(LocalRedis redis) {
        CliRun demo = CliRun.execute("demo", "--messages", "2000", "--redis", redis.uri());

        Map<String, Long> handled = new LinkedHashMap<>();
        Matcher line = COPYWRITER_HANDLED.matcher(demo.err());
        while (line.find()) {
            handled.put("copywriter#" + line.group(1), Long.parseLong(line.group(2)));
        }
        assertThat(handled).containsOnlyKeys("copywriter#1", "copywriter#2");
        assertThat(handled.values()).allSatisfy(count -> assertThat(count).isPositive());
    }

    /** The poison messages among the first {@code messages} of the demo: sequence to expected dlq reason. */
    private static Map<Integer, String> poisonSequences(int messages) {
        Department department = Department.marketing();
        Random random = new Random(DemoCommand.TRAFFIC_SEED);
        Map<Integer, String> poison = new LinkedHashMap<>();
        for (int sequence = 1; sequence <= messages; sequence++) {
            Optional<SimulatedFault> fault = SimulatedFault.of(department.message(sequence, random));
            if (fault.isPresent() && fault.get().isPoison()) {
                poison.put(
                        sequence,
                        fault.get().kind() == SimulatedFault.Kind.NON_RETRYABLE ? "non_retryable" : "max_attempts");
            }
        }
        return poison;
    }

    /** The announced task assignments among the first {@code messages} of the demo. */
    private static long taskAssignments(int messages) {
        Department department = Department.marketing();
        Random random = new Random(DemoCommand.TRAFFIC_SEED);
        return IntStream.rangeClosed(1, messages)
                .mapToObj(sequence -> department.message(sequence, random))
                .filter(TaskAnnouncements::announces)
                .count();
    }

    private static long specialistInstances() {
        return Department.marketing().specialists().stream()
                .mapToInt(Department.Role::instances)
                .sum();
    }

    private static Map<String, String> fields(String out) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String field : out.strip().split(" ")) {
            String[] nameAndValue = field.split("=", 2);
            fields.put(nameAndValue[0], nameAndValue[1]);
        }
        assertThat(fields.keySet())
                .containsExactly(
                        "sent",
                        "delivered",
                        "acked",
                        "retried",
                        "dead_lettered",
                        "lost",
                        "duplicates",
                        "p50_ms",
                        "p99_ms",
                        "broadcasts",
                        "broadcast_receivers",
                        "requests",
                        "replies",
                        "escalation_backlog",
                        "escalation_overtaken");
        return fields;
    }

    /** The counts of the summary line. */
    private static Map<String, Long> summary(String out) {
        Map<String, Long> counts = new LinkedHashMap<>();
        fields(out).forEach((name, value) -> {
            if (!name.endsWith("_ms")) {
                counts.put(name, Long.parseLong(value));
            }
        });
        return counts;
    }

    private static List<Department.Role> department() {
        return Department.marketing().roles();
    }
}
