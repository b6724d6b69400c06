package io.agentbus;

import io.agentbus.protocol.WireFields;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One message, protocol version 1: immutable, validated when built. On the wire it is one Redis
 * stream entry whose fields carry the snake_case names given on each component (see
 * docs/PROTOCOL.md); this record is the Java view of it.
 *
 * @param v               protocol version ({@code v}), always {@link #PROTOCOL_VERSION} for envelopes built here
 * @param messageId       {@code message_id}: chosen by the sender, a random UUID unless given
 * @param fromAgent       {@code from_agent}
 * @param toAgent         {@code to_agent}
 * @param messageType     {@code message_type}: 1–128 characters of letters, digits, {@code _ . -}
 * @param payload         {@code payload}: a JSON object, as JSON text
 * @param timestamp       {@code timestamp}: when the sender built the message, millisecond precision
 * @param priority        {@code priority}: 1–9, default 5 ({@link Priority#NORMAL})
 * @param replyTo         {@code reply_to}: the agent whose inbox should receive a reply
 * @param correlationId   {@code correlation_id}: ties a reply to its request
 * @param conversationId  {@code conversation_id}: groups the messages of one exchange
 * @param expiresAt       {@code expires_at}: after this instant the message is not handed to a handler
 * @param extensions      fields this version does not know, kept as they came (forward compatibility)
 */
public record Envelope(
        int v,
        MessageId messageId,
        AgentId fromAgent,
        AgentId toAgent,
        String messageType,
        String payload,
        Instant timestamp,
        int priority,
        Optional<AgentId> replyTo,
        Optional<String> correlationId,
        Optional<String> conversationId,
        Optional<Instant> expiresAt,
        Map<String, String> extensions) {

    /** The protocol version this library writes and the highest it reads. */
    public static final int PROTOCOL_VERSION = 1;

    private static final int MAX_MESSAGE_TYPE = 128;
    private static final String MESSAGE_TYPE_RULE =
            "must be 1-128 characters of letters, digits, '_', '.', '-', starting with a letter or digit";
    private static final int MAX_EXTENSION_NAME = 64;
    /** version-trace_id-parent_id-flags, lowercase hex; an all-zero trace or parent id is invalid. */
    private static final Pattern TRACEPARENT_FORMAT =
            Pattern.compile("[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}");

    public Envelope {
        if (v != PROTOCOL_VERSION) {
            throw new InvalidEnvelopeException(WireFields.V, Integer.toString(v), "must be " + PROTOCOL_VERSION);
        }
        require(WireFields.MESSAGE_ID, messageId);
        require(WireFields.FROM_AGENT, fromAgent);
        require(WireFields.TO_AGENT, toAgent);
        if (!NameRules.isName(messageType, MAX_MESSAGE_TYPE)) {
            throw new InvalidEnvelopeException(WireFields.MESSAGE_TYPE, messageType, MESSAGE_TYPE_RULE);
        }
        JsonPayload.checkObject(payload);
        require(WireFields.TIMESTAMP, timestamp);
        timestamp = timestamp.truncatedTo(ChronoUnit.MILLIS);
        Priority.check(priority);
        replyTo = Objects.requireNonNull(replyTo, "replyTo");
        correlationId = Objects.requireNonNull(correlationId, "correlationId");
        correlationId.ifPresent(id -> MessageId.check(WireFields.CORRELATION_ID, id));
        conversationId = Objects.requireNonNull(conversationId, "conversationId");
        conversationId.ifPresent(id -> MessageId.check(WireFields.CONVERSATION_ID, id));
        expiresAt = Objects.requireNonNull(expiresAt, "expiresAt").map(at -> at.truncatedTo(ChronoUnit.MILLIS));
        extensions.forEach(Envelope::checkExtension);
        extensions = Collections.unmodifiableMap(new LinkedHashMap<>(extensions));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this envelope's values, to derive a variant (a forward, a retry). */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * A builder of the reply to this message from {@code from} (docs/PROTOCOL.md section 7): to its
     * {@code reply_to}, or its sender; correlated by this message's id; in its conversation; carrying its
     * trace context, so that the reply continues the request's trace (with OpenTelemetry, the reply's send
     * span replaces it). The caller adds the type and payload.
     */
    public Builder replyBuilder(AgentId from) {
        Builder reply = builder().from(from).to(replyTo.orElse(fromAgent)).correlationId(messageId.value());
        conversationId.ifPresent(reply::conversationId);
        traceparent().ifPresent(parent -> {
            try {
                reply.traceContext(parent, tracestate().orElse(null));
            } catch (InvalidEnvelopeException malformed) {
                // a sender's malformed trace context is ignored, as the W3C rules say
            }
        });
        return reply;
    }

    /** Whether the message has expired at {@code now}. */
    public boolean isExpiredAt(Instant now) {
        return expiresAt.isPresent() && !now.isBefore(expiresAt.get());
    }

    /**
     * The W3C trace context of the message (docs/PROTOCOL.md, optional fields {@code traceparent} and
     * {@code tracestate}), carried as extensions so that any sender can set them and every hop keeps them.
     */
    public Optional<String> traceparent() {
        return Optional.ofNullable(extensions.get(WireFields.TRACEPARENT));
    }

    public Optional<String> tracestate() {
        return Optional.ofNullable(extensions.get(WireFields.TRACESTATE));
    }

    /** Size of the payload in UTF-8 bytes, the measure {@link SendOptions#maxPayloadBytes()} limits. */
    public int payloadBytes() {
        return payload.getBytes(StandardCharsets.UTF_8).length;
    }

    private static void require(String field, Object value) {
        if (value == null) {
            throw new InvalidEnvelopeException(field, null, "is required");
        }
    }

    private static void checkExtension(String name, String value) {
        if (name == null || name.isEmpty() || name.length() > MAX_EXTENSION_NAME) {
            throw new InvalidEnvelopeException("extension field name", name, "must be 1-64 characters");
        }
        if (WireFields.ENVELOPE_FIELDS.contains(name)) {
            throw new InvalidEnvelopeException(name, value, "is a protocol field and cannot be set as an extension");
        }
        if (value == null) {
            throw new InvalidEnvelopeException(name, null, "extension value is required");
        }
    }

    /** Builds an {@link Envelope}; {@code from}, {@code to}, {@code type} and {@code payload} are required. */
    public static final class Builder {
        private MessageId messageId;
        private AgentId fromAgent;
        private AgentId toAgent;
        private String messageType;
        private String payload;
        private Instant timestamp;
        private int priority = Priority.NORMAL.value();
        private AgentId replyTo;
        private String correlationId;
        private String conversationId;
        private Instant expiresAt;
        private Duration ttl;
        private final Map<String, String> extensions = new LinkedHashMap<>();

        private Builder() {}

        private Builder(Envelope envelope) {
            messageId = envelope.messageId;
            fromAgent = envelope.fromAgent;
            toAgent = envelope.toAgent;
            messageType = envelope.messageType;
            payload = envelope.payload;
            timestamp = envelope.timestamp;
            priority = envelope.priority;
            replyTo = envelope.replyTo.orElse(null);
            correlationId = envelope.correlationId.orElse(null);
            conversationId = envelope.conversationId.orElse(null);
            expiresAt = envelope.expiresAt.orElse(null);
            extensions.putAll(envelope.extensions);
        }

        /** Default: a random UUID, drawn when {@link #build()} runs. */
        public Builder messageId(MessageId messageId) {
            this.messageId = messageId;
            return this;
        }

        public Builder messageId(String messageId) {
            return messageId(MessageId.of(messageId));
        }

        public Builder from(AgentId fromAgent) {
            this.fromAgent = fromAgent;
            return this;
        }

        public Builder from(String fromAgent) {
            return from(AgentId.of(WireFields.FROM_AGENT, fromAgent));
        }

        public Builder to(AgentId toAgent) {
            this.toAgent = toAgent;
            return this;
        }

        public Builder to(String toAgent) {
            return to(AgentId.of(WireFields.TO_AGENT, toAgent));
        }

        public Builder type(String messageType) {
            this.messageType = messageType;
            return this;
        }

        /** The payload as JSON text; it must be a JSON object. */
        public Builder payload(String json) {
            this.payload = json;
            return this;
        }

        /** The payload as a map, written as a JSON object. */
        public Builder payload(Map<String, ?> fields) {
            this.payload = JsonPayload.write(fields);
            return this;
        }

        /** Default: the time {@link #build()} runs. */
        public Builder timestamp(Instant timestamp) {
            this.timestamp = timestamp;
            return this;
        }

        /** 1–9; default {@link Priority#NORMAL} (5). */
        public Builder priority(int priority) {
            this.priority = priority;
            return this;
        }

        public Builder priority(Priority priority) {
            return priority(priority.value());
        }

        /** {@code "1"}..{@code "9"} or a name: low, normal, high, urgent, critical. */
        public Builder priority(String priority) {
            return priority(Priority.parse(priority));
        }

        public Builder replyTo(AgentId replyTo) {
            this.replyTo = replyTo;
            return this;
        }

        public Builder replyTo(String replyTo) {
            return replyTo(AgentId.of(WireFields.REPLY_TO, replyTo));
        }

        public Builder correlationId(String correlationId) {
            this.correlationId = correlationId;
            return this;
        }

        public Builder conversationId(String conversationId) {
            this.conversationId = conversationId;
            return this;
        }

        /** The message expires at this instant: not handed to a handler after it. */
        public Builder expiresAt(Instant expiresAt) {
            this.expiresAt = expiresAt;
            this.ttl = null;
            return this;
        }

        /** The message expires this long after its {@code timestamp}. */
        public Builder ttl(Duration ttl) {
            if (ttl != null && (ttl.isNegative() || ttl.isZero())) {
                throw new InvalidEnvelopeException("ttl", ttl.toString(), "must be > 0");
            }
            this.ttl = ttl;
            this.expiresAt = null;
            return this;
        }

        /**
         * Sets the W3C trace context ({@code tracestate} may be null). A receiver ignores a malformed
         * one, as the W3C rules say; this builder refuses it, since it is a bug of the caller.
         */
        public Builder traceContext(String traceparent, String tracestate) {
            if (traceparent == null || !TRACEPARENT_FORMAT.matcher(traceparent).matches()) {
                throw new InvalidEnvelopeException(
                        WireFields.TRACEPARENT,
                        traceparent,
                        "must be a W3C traceparent such as 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
            }
            extensions.put(WireFields.TRACEPARENT, traceparent);
            if (tracestate != null && !tracestate.isEmpty()) {
                extensions.put(WireFields.TRACESTATE, tracestate);
            } else {
                extensions.remove(WireFields.TRACESTATE);
            }
            return this;
        }

        /** A field this protocol version does not define, carried through unchanged. */
        public Builder extension(String name, String value) {
            extensions.put(name, value);
            return this;
        }

        /** Validates every field; throws {@link InvalidEnvelopeException} naming the first bad one. */
        public Envelope build() {
            Instant at = timestamp != null ? timestamp : Instant.now();
            return new Envelope(
                    PROTOCOL_VERSION,
                    messageId != null ? messageId : MessageId.random(),
                    fromAgent,
                    toAgent,
                    messageType,
                    payload,
                    at,
                    priority,
                    Optional.ofNullable(replyTo),
                    Optional.ofNullable(correlationId),
                    Optional.ofNullable(conversationId),
                    Optional.ofNullable(ttl != null ? at.plus(ttl) : expiresAt),
                    extensions);
        }
    }
}
