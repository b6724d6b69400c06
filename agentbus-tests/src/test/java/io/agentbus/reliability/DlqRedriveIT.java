package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.NonRetryableException;
import io.agentbus.SendReceipt;
import io.agentbus.deadletter.DeadLetters;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Messages dead-lettered by a handler that refused them are redriven, through the API the
 * {@code agentbus dlq redrive} command calls, once the handler is fixed: each is handled exactly
 * once more, as a fresh first attempt, and the dead letters are empty afterwards.
 */
@ExtendWith(RedisServerExtension.class)
class DlqRedriveIT {

    @Test
    void redrivenDeadLettersAreHandledOnceMoreAsFirstAttempts(LocalRedis redis) throws Exception {
        // More than one redrive batch (200) even at CI size.
        int messages = Scale.of(250, 5_000);
        AgentId agent = freshAgent("redriven");
        AtomicBoolean refusing = new AtomicBoolean(true);
        Queue<Handled> afterFix = new ConcurrentLinkedQueue<>();
        List<Long> progress = new CopyOnWriteArrayList<>();
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.subscribe(agent, delivery -> {
                String id = delivery.envelope().messageId().value();
                if (refusing.get()) {
                    // Both ways a handler refuses a message for good.
                    if (id.hashCode() % 2 == 0) {
                        delivery.deadLetter("cannot handle " + id + " yet");
                        return;
                    }
                    throw new NonRetryableException("cannot handle " + id + " yet");
                }
                afterFix.add(new Handled(id, delivery.attempt()));
            });
            List<CompletableFuture<SendReceipt>> sends = new ArrayList<>();
            for (int i = 0; i < messages; i++) {
                sends.add(bus.send(Envelope.builder()
                                .from("dispatcher")
                                .to(agent)
                                .type("task")
                                .payload("{\"n\":" + i + "}")
                                .build())
                        .toCompletableFuture());
            }
            Set<String> sent = new HashSet<>();
            for (CompletableFuture<SendReceipt> send : sends) {
                sent.add(send.get(10, TimeUnit.SECONDS).messageId().value());
            }
            DeadLetters deadLetters = bus.deadLetters(agent);
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> deadLetters.count() == messages
                            && bus.sync().inbox(agent).pending() == 0);

            refusing.set(false);
            long redriven = deadLetters.redriveAll(progress::add);

            try {
                await().atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(50))
                        .until(() -> afterFix.stream()
                                        .map(Handled::messageId)
                                        .collect(Collectors.toSet())
                                        .containsAll(sent)
                                && bus.sync().inbox(agent).pending() == 0);
            } catch (ConditionTimeoutException e) {
                ScenarioResult.note("dlq-redrive", "gave up waiting: " + e.getMessage());
            }
            long dlqAfter = deadLetters.count();
            Map<String, List<Integer>> attemptsById = afterFix.stream()
                    .collect(Collectors.groupingBy(
                            Handled::messageId, Collectors.mapping(Handled::attempt, Collectors.toList())));
            long handledOnceAsFirstAttempt = sent.stream()
                    .filter(id -> List.of(1).equals(attemptsById.get(id)))
                    .count();

            ScenarioResult.note(
                    "dlq-redrive",
                    "messages=" + messages + " progress_reports=" + progress.size()
                            + " last_progress=" + (progress.isEmpty() ? "none" : progress.get(progress.size() - 1))
                            + " handled_after_fix=" + afterFix.size());
            ScenarioResult.print(
                    "dlq-redrive", "redriven", redriven, "handled", handledOnceAsFirstAttempt, "dlq_after", dlqAfter);

            assertThat(redriven).as("dead letters redriven").isEqualTo(messages);
            assertThat(progress).as("progress reports").isNotEmpty().last().isEqualTo((long) messages);
            assertThat(handledOnceAsFirstAttempt)
                    .as("redriven messages handled exactly once, with attempt 1")
                    .isEqualTo(messages);
            assertThat(afterFix).as("handlings after the fix").hasSize(messages);
            assertThat(dlqAfter).as("dead letters left").isZero();
        }
    }

    record Handled(String messageId, int attempt) {}
}
