package io.agentbus.redis;

import io.agentbus.Delivery;
import io.agentbus.Envelope;
import java.time.Instant;

record RedisDelivery(Envelope envelope, int attempt, String entryId, String consumer, Instant receivedAt)
        implements Delivery {
}
