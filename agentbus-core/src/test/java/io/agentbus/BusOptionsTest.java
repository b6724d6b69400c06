package io.agentbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentbus.swarm.SwarmOptions;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BusOptionsTest {

    private static final ConnectionOptions CONNECTION = ConnectionOptions.builder()
            .connectTimeout(Duration.ofSeconds(1))
            .connectWait(Duration.ofSeconds(2))
            .commandTimeout(Duration.ofSeconds(3))
            .reconnectDelay(Duration.ofMillis(10), Duration.ofMillis(20))
            .disconnectedSends(ConnectionOptions.DisconnectedSends.BUFFER)
            .requestQueueSize(7)
            .allowEvictingMemoryPolicy(true)
            .build();
    private static final SendOptions SEND = SendOptions.builder()
            .maxPayloadBytes(2)
            .dedupWindow(Duration.ofSeconds(1))
            .maxInboxLength(50)
            .durability(Durability.AOF_ALWAYS)
            .strictDurability(true)
            .requireLiveRecipient(true)
            .breaker(0, Duration.ofSeconds(2))
            .build();
    private static final ConsumerOptions CONSUMER = ConsumerOptions.builder()
            .handlerThreads(1)
            .prefetch(2)
            .readBatchSize(3)
            .readBlock(Duration.ofMillis(4))
            .shutdownTimeout(Duration.ZERO)
            .inboxRetention(Retention.maxLength(6))
            .presence(Duration.ofSeconds(7), Duration.ofSeconds(14))
            .build();
    private static final SwarmOptions SWARM =
            SwarmOptions.builder().eventRate(8).messageHistory(9).build();
    private static final DeliveryOptions DELIVERY =
            DeliveryOptions.builder().maxAttempts(2).build();

    @Test
    void defaultsAreEachGroupsDefaults() {
        BusOptions defaults = BusOptions.defaults();

        assertThat(defaults.connection()).isEqualTo(ConnectionOptions.defaults());
        assertThat(defaults.send()).isEqualTo(SendOptions.defaults());
        assertThat(defaults.delivery()).isSameAs(DeliveryOptions.defaults());
        assertThat(defaults.consumer()).isEqualTo(ConsumerOptions.defaults());
        assertThat(defaults.swarm()).isEqualTo(SwarmOptions.defaults());
        assertThat(defaults.auditCap()).isEqualTo(BusOptions.DEFAULT_AUDIT_CAP);
        assertThat(defaults.listener()).isSameAs(BusListener.NONE);
        assertThat(defaults.meterRegistry()).isSameAs(Metrics.globalRegistry);
        assertThat(BusOptions.builder().build()).isEqualTo(defaults);
    }

    @Test
    void mutateKeepsEverySettingAndLeavesTheOriginal() {
        BusOptions original = allNonDefault();

        BusOptions variant = original.mutate()
                .consumer(original.consumer().mutate().prefetch(1).build())
                .build();

        assertThat(original.mutate().build()).isEqualTo(original);
        assertThat(variant.consumer().prefetch()).isEqualTo(1);
        assertThat(variant.consumer().readBatchSize()).isEqualTo(CONSUMER.readBatchSize());
        assertThat(variant.connection()).isEqualTo(CONNECTION);
        assertThat(original.consumer()).isEqualTo(CONSUMER);
    }

    @Test
    void inboxRetentionMustKeepFewerEntriesThanTheInboxCap() {
        BusOptions.Builder builder = BusOptions.builder()
                .send(SendOptions.builder().maxInboxLength(100).build())
                .consumer(ConsumerOptions.builder()
                        .inboxRetention(Retention.maxLength(100))
                        .build());

        assertThatThrownBy(builder::build)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("inboxRetention keeps 100 entries, which must be fewer than maxInboxLength 100");
    }

    @Test
    void toStringShowsEveryGroup() {
        assertThat(BusOptions.defaults().toString())
                .contains("connection=ConnectionOptions[connectTimeout=PT5S")
                .contains("send=SendOptions[maxPayloadBytes=1048576")
                .contains("consumer=ConsumerOptions[handlerThreads=16")
                .contains("swarm=SwarmOptions[eventRate=1000")
                .contains("auditCap=100000");
    }

    @Test
    @SuppressWarnings("deprecation")
    void deprecatedFlatSettersLandInTheirGroup() {
        BusOptions flat = BusOptions.builder()
                .connectTimeout(Duration.ofSeconds(1))
                .connectWait(Duration.ofSeconds(2))
                .commandTimeout(Duration.ofSeconds(3))
                .reconnectDelay(Duration.ofMillis(10), Duration.ofMillis(20))
                .disconnectedSends(BusOptions.DisconnectedSends.BUFFER)
                .requestQueueSize(7)
                .allowEvictingMemoryPolicy(true)
                .maxPayloadBytes(2)
                .dedupWindow(Duration.ofSeconds(1))
                .maxInboxLength(50)
                .durability(Durability.AOF_ALWAYS)
                .strictDurability(true)
                .requireLiveRecipient(true)
                .breaker(0, Duration.ofSeconds(2))
                .handlerThreads(1)
                .prefetch(2)
                .readBatchSize(3)
                .readBlock(Duration.ofMillis(4))
                .shutdownTimeout(Duration.ZERO)
                .inboxRetention(Retention.maxLength(6))
                .presence(Duration.ofSeconds(7), Duration.ofSeconds(14))
                .swarmEventRate(8)
                .swarmMessageHistory(9)
                .build();

        assertThat(flat.connection()).isEqualTo(CONNECTION);
        assertThat(flat.send()).isEqualTo(SEND);
        assertThat(flat.consumer()).isEqualTo(CONSUMER);
        assertThat(flat.swarm()).isEqualTo(SWARM);
    }

    @Test
    @SuppressWarnings("deprecation")
    void aFlatSetterAfterAGroupChangesOnlyItsSetting() {
        BusOptions options = BusOptions.builder()
                .connection(CONNECTION)
                .commandTimeout(Duration.ofSeconds(9))
                .build();

        assertThat(options.connection())
                .isEqualTo(CONNECTION
                        .mutate()
                        .commandTimeout(Duration.ofSeconds(9))
                        .build());
    }

    @Test
    @SuppressWarnings("deprecation")
    void deprecatedFlatAccessorsReadTheirGroup() {
        BusOptions options = allNonDefault();

        assertThat(options.connectTimeout()).isEqualTo(CONNECTION.connectTimeout());
        assertThat(options.connectWait()).isEqualTo(CONNECTION.connectWait());
        assertThat(options.commandTimeout()).isEqualTo(CONNECTION.commandTimeout());
        assertThat(options.reconnectMinDelay()).isEqualTo(CONNECTION.reconnectMinDelay());
        assertThat(options.reconnectMaxDelay()).isEqualTo(CONNECTION.reconnectMaxDelay());
        assertThat(options.disconnectedSends()).isEqualTo(BusOptions.DisconnectedSends.BUFFER);
        assertThat(options.requestQueueSize()).isEqualTo(CONNECTION.requestQueueSize());
        assertThat(options.allowEvictingMemoryPolicy()).isTrue();
        assertThat(options.maxPayloadBytes()).isEqualTo(SEND.maxPayloadBytes());
        assertThat(options.dedupWindow()).isEqualTo(SEND.dedupWindow());
        assertThat(options.maxInboxLength()).isEqualTo(SEND.maxInboxLength());
        assertThat(options.durability()).isEqualTo(SEND.durability());
        assertThat(options.strictDurability()).isTrue();
        assertThat(options.requireLiveRecipient()).isTrue();
        assertThat(options.breakerThreshold()).isEqualTo(SEND.breakerThreshold());
        assertThat(options.breakerCoolDown()).isEqualTo(SEND.breakerCoolDown());
        assertThat(options.handlerThreads()).isEqualTo(CONSUMER.handlerThreads());
        assertThat(options.prefetch()).isEqualTo(CONSUMER.prefetch());
        assertThat(options.readBatchSize()).isEqualTo(CONSUMER.readBatchSize());
        assertThat(options.readBlock()).isEqualTo(CONSUMER.readBlock());
        assertThat(options.shutdownTimeout()).isEqualTo(CONSUMER.shutdownTimeout());
        assertThat(options.inboxRetention()).isEqualTo(CONSUMER.inboxRetention());
        assertThat(options.presenceHeartbeat()).isEqualTo(CONSUMER.presenceHeartbeat());
        assertThat(options.presenceTtl()).isEqualTo(CONSUMER.presenceTtl());
        assertThat(options.swarmEventRate()).isEqualTo(SWARM.eventRate());
        assertThat(options.swarmMessageHistory()).isEqualTo(SWARM.messageHistory());
    }

    @Test
    @SuppressWarnings("deprecation")
    void deprecatedConstantsAreTheGroupsConstants() {
        assertThat(BusOptions.DEFAULT_CONNECT_TIMEOUT).isEqualTo(ConnectionOptions.DEFAULT_CONNECT_TIMEOUT);
        assertThat(BusOptions.DEFAULT_REQUEST_QUEUE_SIZE).isEqualTo(ConnectionOptions.DEFAULT_REQUEST_QUEUE_SIZE);
        assertThat(BusOptions.DEFAULT_MAX_PAYLOAD_BYTES).isEqualTo(SendOptions.DEFAULT_MAX_PAYLOAD_BYTES);
        assertThat(BusOptions.DEFAULT_PREFETCH).isEqualTo(ConsumerOptions.DEFAULT_PREFETCH);
        assertThat(BusOptions.DEFAULT_INBOX_RETENTION).isEqualTo(ConsumerOptions.DEFAULT_INBOX_RETENTION);
        assertThat(BusOptions.DEFAULT_SWARM_MESSAGE_HISTORY).isEqualTo(SwarmOptions.DEFAULT_MESSAGE_HISTORY);
        assertThat(BusOptions.DEFAULT_SWARM_STATE_TTL).isEqualTo(SwarmOptions.STATE_TTL);
    }

    @Test
    @SuppressWarnings("deprecation")
    void deprecatedFlatSettersStillRejectBadValuesAtOnce() {
        assertThatThrownBy(() -> BusOptions.builder().prefetch(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("prefetch must be >= 1, was 0");
        assertThatThrownBy(() -> BusOptions.builder().commandTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("commandTimeout must be > 0, was PT0S");
        assertThatThrownBy(() -> BusOptions.builder().shutdownTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("shutdownTimeout must be >= 0");
        assertThatThrownBy(() -> BusOptions.builder().auditCap(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("auditCap must be >= 0, was -1");
    }

    private static BusOptions allNonDefault() {
        return BusOptions.builder()
                .connection(CONNECTION)
                .send(SEND)
                .delivery(DELIVERY)
                .consumer(CONSUMER)
                .swarm(SWARM)
                .auditCap(0)
                .listener(new BusListener() {})
                .meterRegistry(new SimpleMeterRegistry())
                .build();
    }
}
