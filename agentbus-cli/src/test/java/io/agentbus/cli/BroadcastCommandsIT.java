package io.agentbus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.LocalRedis;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code agentbus publish} and {@code watch} against each other. */
@ExtendWith(RedisServerExtension.class)
class BroadcastCommandsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final Pattern PUBLISHED = Pattern.compile("receivers=\\d+ sequence=1 message_id=(\\S+)\\R");

    @Test
    void watchPrintsWhatPublishSendsOnEveryChannelAsJsonAndStopsAtTheCount(LocalRedis redis) throws Exception {
        CliRun.Background watch = CliRun.inBackground("watch", "--count", "2", "--json", "--timeout", "20s",
                "--redis", redis.uri());
        awaitWatching(watch);

        CliRun task = CliRun.execute("publish", "events:marketing:task_assigned", "--type", "task_assigned",
                "--payload", "{\"task\":\"launch post\"}", "--to", "copywriter", "--redis", redis.uri());
        CliRun created = CliRun.execute("publish", "events:content:created", "--type", "content_created",
                "--payload", "{\"title\":\"Launch day\"}", "--from", "copywriter", "--redis", redis.uri());

        assertThat(task.exitCode()).as(task.err()).isZero();
        assertThat(task.out()).matches("receivers=1 sequence=1 message_id=\\S+\\R");
        assertThat(task.err()).doesNotContain("nobody listened");
        CliRun watched = watch.run().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        assertThat(watched.exitCode()).as(watched.err()).isZero();
        assertThat(watched.err()).contains("watching *");
        List<JsonNode> lines = jsonLines(watched.out());
        assertThat(lines).hasSize(2);
        JsonNode first = lines.get(0);
        assertThat(first.get("channel").asText()).isEqualTo("events:marketing:task_assigned");
        assertThat(first.get("message_id").asText()).isEqualTo(messageId(task));
        assertThat(first.get("from_agent").asText()).isEqualTo(PublishCommand.DEFAULT_FROM);
        assertThat(first.get("to_agent").asText()).isEqualTo("copywriter");
        assertThat(first.get("message_type").asText()).isEqualTo("task_assigned");
        assertThat(first.get("payload")).isEqualTo(JSON.readTree("{\"task\":\"launch post\"}"));
        assertThat(first.has("attempt")).isFalse();
        JsonNode second = lines.get(1);
        assertThat(second.get("channel").asText()).isEqualTo("events:content:created");
        assertThat(second.get("message_id").asText()).isEqualTo(messageId(created));
        assertThat(second.get("from_agent").asText()).isEqualTo("copywriter");
        assertThat(second.get("to_agent").asText()).isEqualTo(PublishCommand.DEFAULT_TO);
    }

    @Test
    void watchPrintsAMessageThatMatchesSeveralPatternsOnceAndNothingOutsideThem(LocalRedis redis) throws Exception {
        CliRun.Background watch = CliRun.inBackground("watch", "events:*", "events:content:*", "--count", "2",
                "--timeout", "20s", "--redis", redis.uri());
        awaitWatching(watch);

        String both = messageId(publish(redis, "events:content:created"));
        CliRun elsewhere = publish(redis, "audit:login");
        String one = messageId(publish(redis, "events:campaign:launched"));

        assertThat(elsewhere.out()).startsWith("receivers=0 ");
        CliRun watched = watch.run().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        assertThat(watched.exitCode()).as(watched.err()).isZero();
        List<String> lines = watched.out().lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).matches("\\S+Z events:content:created cli -> all ping p5 " + both + " \\{}");
        assertThat(lines.get(1)).contains(" events:campaign:launched ").contains(one);
    }

    @Test
    void publishToAChannelNobodyWatchesPrintsReceivers0AndSaysSoOnStderr(LocalRedis redis) {
        CliRun publish = publish(redis, "events:nobody:listens");

        assertThat(publish.exitCode()).isZero();
        assertThat(publish.out()).matches("receivers=0 sequence=1 message_id=\\S+\\R");
        assertThat(publish.err()).contains("nobody listened on events:nobody:listens");
    }

    @Test
    void watchExitsWith3WhenTheTimeoutPassesBeforeTheCountAnd0WithoutACount(LocalRedis redis) {
        CliRun tooFew = CliRun.execute("watch", "events:quiet", "--count", "1", "--timeout", "300ms",
                "--redis", redis.uri());
        CliRun bounded = CliRun.execute("watch", "events:quiet", "--timeout", "300ms", "--redis", redis.uri());

        assertThat(tooFew.exitCode()).isEqualTo(3);
        assertThat(tooFew.out()).isEmpty();
        assertThat(bounded.exitCode()).as(bounded.err()).isZero();
    }

    @Test
    void publishRejectsAChannelWithASpaceAsInvalidInput(LocalRedis redis) {
        CliRun publish = CliRun.execute("publish", "events marketing", "--type", "ping", "--payload", "{}",
                "--redis", redis.uri());

        assertThat(publish.exitCode()).isEqualTo(2);
        assertThat(publish.err()).startsWith("agentbus: channel must be").doesNotContain("\tat ");
        assertThat(publish.out()).isEmpty();
    }

    private static CliRun publish(LocalRedis redis, String channel) {
        CliRun publish = CliRun.execute("publish", channel, "--type", "ping", "--payload", "{}", "--redis", redis.uri());
        assertThat(publish.exitCode()).as(publish.err()).isZero();
        return publish;
    }

    private static String messageId(CliRun publish) {
        Matcher receipt = PUBLISHED.matcher(publish.out());
        assertThat(receipt.matches()).as(publish.out()).isTrue();
        return receipt.group(1);
    }

    /** Until the watch has subscribed, which it says on stderr: a broadcast published before is gone. */
    private static void awaitWatching(CliRun.Background watch) {
        await().atMost(DEADLINE).until(() -> watch.errSoFar().contains("watching ") || watch.run().isDone());
        assertThat(watch.run()).isNotDone();
    }

    private static List<JsonNode> jsonLines(String out) throws Exception {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : out.lines().toList()) {
            lines.add(JSON.readTree(line));
        }
        return lines;
    }
}
