package io.agentbus;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RecordingHandler;
import io.agentbus.testkit.RedisProxy;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisServerExtension.class)
class RequestReplyIT {

    @Test
    void theSyncViewWaitsForTheReplyAndThrowsATimeoutUnwrapped(LocalRedis redis) {
        AgentId requester = freshAgent("cmo");
        AgentId answering = freshAgent("analyst");
        AgentId silent = freshAgent("silent");
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.subscribe(requester, RecordingHandler.acking());
            bus.serve(answering, request -> Map.of("answer", 42));
            bus.serve(silent, request -> null);

            Envelope reply = bus.sync().request(question(requester, answering), Duration.ofSeconds(10));
            Envelope escalated = bus.sync()
                    .escalate(question(requester, silent), List.of(silent, answering), Duration.ofMillis(300));

            assertThat(reply.payload()).isEqualTo("{\"answer\":42}");
            assertThat(escalated.fromAgent()).isEqualTo(answering);
            assertThatThrownBy(() -> bus.sync().request(question(requester, silent), Duration.ofMillis(200)))
                    .isInstanceOf(RequestTimeoutException.class);
        }
    }

    private static Envelope question(AgentId from, AgentId to) {
        return Envelope.builder()
                .from(from)
                .to(to)
                .type("question")
                .payload("{}")
                .build();
    }

    @Test
    void aReplyByReturnValueCompletesTheRequestAndSkipsTheRequestersHandler(LocalRedis redis) throws Exception {
        AgentId copywriter = freshAgent("copywriter");
        AgentId manager = freshAgent("content_manager");
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            RecordingHandler copywriterInbox = RecordingHandler.acking();
            bus.subscribe(copywriter, copywriterInbox);
            bus.serve(
                    manager,
                    request -> Map.of(
                            "verdict", "approved", "draft", request.envelope().payload()));

            Envelope review = Envelope.builder()
                    .from(copywriter)
                    .to(manager)
                    .type("review_request")
                    .payload("{\"text\":\"Launch day!\"}")
                    .conversationId("launch-42")
                    .build();
            Envelope reply = bus.request(review, Duration.ofSeconds(10))
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);

            assertThat(reply.correlationId()).contains(review.messageId().value());
            assertThat(reply.messageType()).isEqualTo("review_request.reply");
            assertThat(reply.fromAgent()).isEqualTo(manager);
            assertThat(reply.conversationId()).contains("launch-42");
            assertThat(reply.payload()).contains("\"verdict\":\"approved\"");
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> bus.sync().inbox(copywriter).pending() == 0);
            assertThat(copywriterInbox.deliveries()).isEmpty();
        }
    }

    @Test
    void aRequestToAnAgentThatNeverListenedFailsAtOnce(LocalRedis redis) {
        AgentId requester = freshAgent("cmo");
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            bus.subscribe(requester, RecordingHandler.acking());
            Envelope request = Envelope.builder()
                    .from(requester)
                    .to(freshAgent("nobody"))
                    .type("ping")
                    .payload("{}")
                    .build();

            long started = System.nanoTime();
            assertThatThrownBy(() -> bus.request(request, Duration.ofSeconds(30))
                            .toCompletableFuture()
                            .join())
                    .isInstanceOf(CompletionException.class)
                    .cause()
                    .isInstanceOf(RecipientUnavailableException.class)
                    .hasFieldOrPropertyWithValue("reason", RecipientUnavailableException.Reason.NO_RESPONDERS);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
        }
    }

    @Test
    void aTimedOutRequestFailsTypedAndItsLateReplyIsAckedNotDelivered(LocalRedis redis) throws Exception {
        AgentId requester = freshAgent("cmo");
        AgentId slow = freshAgent("slow");
        List<Envelope> late = new CopyOnWriteArrayList<>();
        BusOptions options = BusOptions.builder()
                .listener(new BusListener() {
                    @Override
                    public void lateReply(Envelope reply) {
                        late.add(reply);
                    }
                })
                .build();
        CountDownLatch release = new CountDownLatch(1);
        try (AgentBus bus = AgentBus.connect(redis.uri(), options)) {
            RecordingHandler requesterInbox = RecordingHandler.acking();
            bus.subscribe(requester, requesterInbox);
            bus.serve(slow, request -> {
                release.await(10, TimeUnit.SECONDS);
                return Map.of("too", "late");
            });
            Envelope request = Envelope.builder()
                    .from(requester)
                    .to(slow)
                    .type("ping")
                    .payload("{}")
                    .build();

            assertThatThrownBy(() -> bus.request(request, Duration.ofMillis(300))
                            .toCompletableFuture()
                            .join())
                    .hasCauseInstanceOf(RequestTimeoutException.class)
                    .hasMessageContaining("may still be handled");
            release.countDown();

            await().atMost(Duration.ofSeconds(10)).until(() -> late.size() == 1);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> bus.sync().inbox(requester).pending() == 0);
            assertThat(late.get(0).correlationId()).contains(request.messageId().value());
            assertThat(requesterInbox.deliveries()).isEmpty();
        }
    }

    @Test
    void aReplySurvivesARequesterReconnect(LocalRedis redis) throws Exception {
        AgentId requester = freshAgent("cmo");
        AgentId responder = freshAgent("analyst");
        CountDownLatch requested = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        // The requester reaches Redis through a proxy, so that only its connections can be dropped.
        RedisProxy proxy = RedisProxy.open(redis);
        BusOptions quickReconnect = BusOptions.builder()
                .connection(ConnectionOptions.builder()
                        .reconnectDelay(Duration.ofMillis(50), Duration.ofMillis(500))
                        .build())
                .build();
        try (proxy;
                AgentBus responding = AgentBus.connect(redis.uri());
                AgentBus requesting = AgentBus.connect(proxy.uri(), quickReconnect)) {
            requesting.subscribe(requester, RecordingHandler.acking());
            responding.serve(responder, request -> {
                requested.countDown();
                answer.await(10, TimeUnit.SECONDS);
                return Map.of("answer", 42);
            });
            Envelope request = Envelope.builder()
                    .from(requester)
                    .to(responder)
                    .type("question")
                    .payload("{}")
                    .build();
            CompletableFuture<Envelope> reply =
                    requesting.request(request, Duration.ofSeconds(20)).toCompletableFuture();
            assertThat(requested.await(10, TimeUnit.SECONDS)).isTrue();

            proxy.disconnect(); // the requester is cut off...
            answer.countDown(); // ...while the reply is written to its durable inbox
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> responding.sync().inbox(requester).length() == 1);
            proxy.reconnect();

            assertThat(reply.get(20, TimeUnit.SECONDS).payload()).isEqualTo("{\"answer\":42}");
        }
    }

    @Test
    void requestingWithoutASubscriptionOfTheRequesterIsAClearMistake(LocalRedis redis) {
        try (AgentBus bus = AgentBus.connect(redis.uri())) {
            Envelope request = Envelope.builder()
                    .from("nobody")
                    .to("someone")
                    .type("ping")
                    .payload("{}")
                    .build();

            assertThatThrownBy(() -> bus.request(request, Duration.ofSeconds(1)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("need a subscription of nobody");
        }
    }
}
