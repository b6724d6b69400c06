package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.RequestTimeoutException;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RecordingHandler;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisServerExtension.class)
class RequestReplyLoadIT {

    @Test
    void aThousandConcurrentRequestsCompleteWithTheirOwnReplies(LocalRedis redis) throws Exception {
        AgentId requester = freshAgent("cmo");
        AgentId echo = freshAgent("echo");
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.subscribe(requester, RecordingHandler.acking());
            bus.serve(echo, request -> request.envelope().payload());
            List<Envelope> requests = new ArrayList<>();
            List<CompletableFuture<Envelope>> replies = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                Envelope request = Envelope.builder()
                        .from(requester)
                        .to(echo)
                        .type("ping")
                        .payload(Map.of("n", i))
                        .build();
                requests.add(request);
                replies.add(bus.request(request, Duration.ofSeconds(30)).toCompletableFuture());
            }

            CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new))
                    .exceptionally(failure -> null)
                    .get(60, TimeUnit.SECONDS);

            long completed = 0;
            long mismatched = 0;
            long timeouts = 0;
            for (int i = 0; i < requests.size(); i++) {
                CompletableFuture<Envelope> reply = replies.get(i);
                if (reply.isCompletedExceptionally()) {
                    timeouts += reply.handle(
                                    (ok, failure) -> failure.getCause() instanceof RequestTimeoutException ? 1 : 0)
                            .join();
                    continue;
                }
                completed++;
                Envelope answer = reply.join();
                boolean matches = answer.correlationId()
                                .orElseThrow()
                                .equals(requests.get(i).messageId().value())
                        && answer.payload().equals(requests.get(i).payload());
                mismatched += matches ? 0 : 1;
            }
            ScenarioResult.print(
                    "request-reply",
                    "requests",
                    requests.size(),
                    "completed",
                    completed,
                    "mismatched",
                    mismatched,
                    "timeouts",
                    timeouts);
            assertThat(completed).isEqualTo(requests.size());
            assertThat(mismatched).isZero();
        }
    }
}
