package io.agentbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.AgentBus;
import io.agentbus.InboxStats;
import io.agentbus.LocalRedis;
import io.agentbus.testkit.RedisServerConfig;
import io.agentbus.testkit.RedisServerExtension;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisServerExtension.class)
@RedisServerConfig(perTest = true) // each test counts what the demo left in Redis
class DemoIT {

    private static final Pattern COPYWRITER_HANDLED = Pattern.compile("(?m)^\\s+copywriter#(\\d)\\s+(\\d+)\\s+consumer ");

    @Test
    void demoDeliversEveryMessageOnceAndLeavesNothingPending(LocalRedis redis) {
        CliRun demo = CliRun.execute("demo", "--messages", "500", "--redis", redis.uri());

        assertThat(demo.exitCode()).as(demo.err()).isZero();
        assertThat(demo.out().lines()).hasSize(1);
        Map<String, String> summary = summary(demo.out());
        assertThat(summary).containsEntry("sent", "500").containsEntry("delivered", "500")
                .containsEntry("acked", "500").containsEntry("lost", "0").containsEntry("duplicates", "0")
                .containsEntry("dead_lettered", "0")
                .containsKeys("p50_ms", "p99_ms");
        assertThat(Double.parseDouble(summary.get("p99_ms")))
                .isGreaterThan(0).isGreaterThanOrEqualTo(Double.parseDouble(summary.get("p50_ms")));
        // What Redis holds afterwards: the 500 messages in the department's inboxes, all acknowledged.
        List<InboxStats> inboxes = inboxesOf(redis);
        assertThat(inboxes).hasSize(15).allSatisfy(inbox -> {
            assertThat(inbox.groupExists()).isTrue();
            assertThat(inbox.pending()).isZero();
        });
        assertThat(inboxes.stream().mapToLong(InboxStats::length).sum()).isEqualTo(500);
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

    private static Map<String, String> summary(String out) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String field : out.strip().split(" ")) {
            String[] nameAndValue = field.split("=", 2);
            fields.put(nameAndValue[0], nameAndValue[1]);
        }
        assertThat(fields.keySet()).containsExactly(
                "sent", "delivered", "acked", "dead_lettered", "lost", "duplicates", "p50_ms", "p99_ms");
        return fields;
    }

    private static List<InboxStats> inboxesOf(LocalRedis redis) {
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            return Department.marketing().roles().stream().map(role -> bus.sync().inbox(role.id())).toList();
        }
    }
}
