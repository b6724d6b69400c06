package io.agentbus.protocol;

import io.agentbus.InvalidEnvelopeException;
import java.util.List;
import java.util.Set;

/**
 * The field names of the wire format (docs/PROTOCOL.md): a message's stream entry, and the fields
 * that dead letters, audit records and counters hold. The one Java copy of these names: validation
 * errors name them ({@link InvalidEnvelopeException#field()}), and tools that read or write entries
 * without the bus use them. The Lua scripts hold the names they write; a unit test checks them
 * against this class.
 */
public final class WireFields {

    /** The protocol version of the entry; absent means 1. */
    public static final String V = "v";

    public static final String MESSAGE_ID = "message_id";
    public static final String FROM_AGENT = "from_agent";
    public static final String TO_AGENT = "to_agent";
    public static final String MESSAGE_TYPE = "message_type";
    public static final String PAYLOAD = "payload";
    public static final String TIMESTAMP = "timestamp";
    /** What the seed's code sends instead of {@link #TIMESTAMP}; read when {@code timestamp} is absent. */
    public static final String CREATED_AT = "created_at";

    public static final String PRIORITY = "priority";
    public static final String REPLY_TO = "reply_to";
    public static final String CORRELATION_ID = "correlation_id";
    public static final String CONVERSATION_ID = "conversation_id";
    public static final String EXPIRES_AT = "expires_at";
    /** The W3C trace context fields (https://www.w3.org/TR/trace-context/): extensions the bus reads. */
    public static final String TRACEPARENT = "traceparent";

    public static final String TRACESTATE = "tracestate";

    /**
     * The HMAC-SHA256 signature of a signed message, standard base64 (docs/PROTOCOL.md, signed envelopes):
     * an extension field, not covered by the signature itself.
     */
    public static final String SIG = "sig";

    /** The id of the key that made {@link #SIG}: one of {@code from_agent}'s keys; covered by the signature. */
    public static final String KID = "kid";

    /** The fields protocol version 1 defines; an extension may not use them. */
    public static final Set<String> ENVELOPE_FIELDS = Set.of(
            V,
            MESSAGE_ID,
            FROM_AGENT,
            TO_AGENT,
            MESSAGE_TYPE,
            PAYLOAD,
            TIMESTAMP,
            PRIORITY,
            REPLY_TO,
            CORRELATION_ID,
            CONVERSATION_ID,
            EXPIRES_AT);

    /**
     * The fields an audit record copies from a message, in the order ack.lua takes their values: the
     * same list as {@code AUDITED_FIELDS} of protocol.lua. The payload is never audited on outcomes.
     */
    public static final List<String> AUDITED_FIELDS =
            List.of(MESSAGE_ID, FROM_AGENT, TO_AGENT, MESSAGE_TYPE, PRIORITY, CONVERSATION_ID, CORRELATION_ID);

    /**
     * The most fields one stream entry may have (MAX_FIELDS of protocol.lua): what a script can pass to one
     * XADD. A message with more is refused before it is sent.
     */
    public static final int MAX_FIELDS = 1000;

    /** What starts the name of every field an audit record adds to the message's own. */
    public static final String AUDIT_PREFIX = "audit_";

    /** What the record is: {@code sent}, {@code acked}, …, {@code decision}. */
    public static final String AUDIT_EVENT = "audit_event";
    /** What an agent decided, in a {@code decision} record. */
    public static final String AUDIT_DECISION = "audit_decision";
    /** The stream the message was in. */
    public static final String AUDIT_STREAM = "audit_stream";
    /** The message's entry id in {@link #AUDIT_STREAM}. */
    public static final String AUDIT_ENTRY_ID = "audit_entry_id";
    /** The consumer that settled it, on outcomes. */
    public static final String AUDIT_CONSUMER = "audit_consumer";
    /** The delivery attempt that failed, on {@code retried}, {@code dead_lettered} and {@code expired}. */
    public static final String AUDIT_ATTEMPT = "audit_attempt";
    /** Why it was retried or dead-lettered. */
    public static final String AUDIT_REASON = "audit_reason";

    /** What starts the name of every field a dead letter adds to the message's own. */
    public static final String DLQ_PREFIX = "dlq_";

    /** Why the entry was dead-lettered: a {@code DeadLetterReason} code. */
    public static final String DLQ_REASON = "dlq_reason";
    /** The wire field at fault, or empty. */
    public static final String DLQ_FIELD = "dlq_field";
    /** The broken rule in words. */
    public static final String DLQ_DETAIL = "dlq_detail";
    /** The entry id in the stream it came from. */
    public static final String DLQ_SOURCE_ID = "dlq_source_id";
    /** The consumer that dead-lettered it. */
    public static final String DLQ_CONSUMER = "dlq_consumer";
    /** Deliveries so far. */
    public static final String DLQ_ATTEMPTS = "dlq_attempts";
    /** Milliseconds since the epoch of the first failed delivery. */
    public static final String DLQ_FIRST_FAILED_AT = "dlq_first_failed_at";
    /** Milliseconds since the epoch when it was dead-lettered. */
    public static final String DLQ_FAILED_AT = "dlq_failed_at";

    /**
     * Of a dead letter whose entry had more than 1,000 fields: the fields past the first 1,000, as one
     * JSON array of names and values (one command cannot take them all as arguments from Lua).
     */
    public static final String DLQ_OVERFLOW = "dlq_overflow";

    /**
     * Of a dead letter that was a member of a delayed set but not a message (not a JSON object of
     * fields): the member as it was.
     */
    public static final String DLQ_DELAYED = "dlq_delayed";

    /**
     * The fields of a counters hash ({@code agent:{id}:counters}, {@code topic:{name}:counters}), in the
     * order of {@code InboxStats.Counters}: totals the scripts increment as they do each step.
     */
    public static final List<String> COUNTERS =
            List.of("sent", "deduplicated", "acked", "retried", "dead_lettered", "expired", "redriven");

    private WireFields() {}
}
