package io.agentbus.redis;

import static io.agentbus.protocol.WireFields.FROM_AGENT;
import static io.agentbus.protocol.WireFields.KID;
import static io.agentbus.protocol.WireFields.SIG;
import static io.agentbus.protocol.WireFields.TIMESTAMP;

import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.SigningKeys;
import io.agentbus.SigningOptions;
import io.agentbus.deadletter.DeadLetterReason;
import io.agentbus.protocol.EnvelopeSignature;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Signed envelopes on this bus ({@link SigningOptions}): signs the wire fields a send is about to write, and
 * checks those an entry was read with. The canonical form and the MAC are {@link EnvelopeSignature}'s; this
 * class adds the rules of the bus: whose key signs, that {@code from_agent} owns the {@code kid}, and the
 * timestamp window that stops old replays.
 */
final class MessageSignatures {

    private final SigningOptions options;

    MessageSignatures(SigningOptions options) {
        this.options = options;
    }

    /**
     * {@code fields} with {@code kid} and {@code sig} of {@code from}'s signing key put last (replacing any
     * that a forwarded envelope carried), or {@code fields} unchanged when this bus does not sign.
     *
     * @throws IllegalStateException if this bus signs and holds no signing key for {@code from}
     */
    Map<String, String> sign(Map<String, String> fields, AgentId from) {
        if (!options.sign()) {
            return fields;
        }
        SigningKeys.SigningKey key = options.keys()
                .signingKey(from)
                .orElseThrow(() -> new IllegalStateException("cannot sign a message from " + from
                        + ": the signing keys (" + options.keys() + ") hold no key it signs with"
                        + " (a key file gives an agent with several keys a sign_with)"));
        Map<String, String> signed = new LinkedHashMap<>(fields);
        signed.remove(SIG);
        signed.remove(KID);
        signed.put(KID, key.kid());
        signed.put(SIG, EnvelopeSignature.sign(signed, key.key()));
        return signed;
    }

    /**
     * Why {@code envelope}, read as {@code body}, fails the signature rules at {@code now}, or null when it
     * passes them (or this bus does not require signatures).
     */
    EnvelopeCodec.Malformed check(Map<String, byte[]> body, Envelope envelope, Instant now) {
        if (!options.requireSigned()) {
            return null;
        }
        AgentId from = envelope.fromAgent();
        String sig = envelope.extensions().get(SIG);
        if (sig == null) {
            return bad(SIG, "is missing: this consumer requires signed messages");
        }
        String kid = envelope.extensions().get(KID);
        if (!EnvelopeSignature.isValidKeyId(kid)) {
            return bad(KID, kid == null ? "is missing: a signed message names its key" : "is not a valid key id");
        }
        Optional<byte[]> key = options.keys().key(from, kid);
        if (key.isEmpty()) {
            Optional<AgentId> owner = options.keys().ownerOf(kid);
            return owner.isPresent()
                    ? bad(KID, "key " + kid + " belongs to " + owner.get() + ", not to " + FROM_AGENT + " " + from)
                    : bad(KID, "key " + kid + " is not a known key of " + FROM_AGENT + " " + from);
        }
        if (!body.containsKey(TIMESTAMP)) {
            return bad(TIMESTAMP, "is missing: a signed message carries timestamp (not created_at)");
        }
        if (!EnvelopeSignature.verify(EnvelopeSignature.canonical(body::get), sig, key.get())) {
            return bad(
                    SIG,
                    "does not match the entry signed with key " + kid + " of " + from
                            + ": the entry was changed after signing, or signed with another key");
        }
        Duration age = Duration.between(envelope.timestamp(), now);
        if (age.compareTo(options.maxAge()) > 0) {
            return bad(
                    TIMESTAMP,
                    "signed at " + envelope.timestamp() + ", " + age.toSeconds() + " s ago, older than maxAge "
                            + options.maxAge() + ": refused as a possible replay");
        }
        if (age.negated().compareTo(options.maxClockSkew()) > 0) {
            return bad(
                    TIMESTAMP,
                    "signed at " + envelope.timestamp() + ", " + age.negated().toMillis()
                            + " ms ahead of this clock, more than maxClockSkew " + options.maxClockSkew());
        }
        return null;
    }

    private static EnvelopeCodec.Malformed bad(String field, String detail) {
        return new EnvelopeCodec.Malformed(DeadLetterReason.BAD_SIGNATURE, field, detail);
    }
}
