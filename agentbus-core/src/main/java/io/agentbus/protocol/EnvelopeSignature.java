package io.agentbus.protocol;

import static io.agentbus.protocol.WireFields.CONVERSATION_ID;
import static io.agentbus.protocol.WireFields.CORRELATION_ID;
import static io.agentbus.protocol.WireFields.EXPIRES_AT;
import static io.agentbus.protocol.WireFields.FROM_AGENT;
import static io.agentbus.protocol.WireFields.KID;
import static io.agentbus.protocol.WireFields.MESSAGE_ID;
import static io.agentbus.protocol.WireFields.MESSAGE_TYPE;
import static io.agentbus.protocol.WireFields.PAYLOAD;
import static io.agentbus.protocol.WireFields.PRIORITY;
import static io.agentbus.protocol.WireFields.REPLY_TO;
import static io.agentbus.protocol.WireFields.TIMESTAMP;
import static io.agentbus.protocol.WireFields.TO_AGENT;
import static io.agentbus.protocol.WireFields.V;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signature of a signed envelope (docs/PROTOCOL.md, section "Signed envelopes"): HMAC-SHA256 with one
 * of the sender's keys over the canonical form of the entry's wire fields, carried in the fields
 * {@link WireFields#SIG} (standard base64 of the 32-byte MAC) and {@link WireFields#KID} (the key's id).
 *
 * <p>The canonical form is built from the wire values exactly as they are stored, never from a parsed
 * envelope, so that a Python or Node agent computes the same bytes without reproducing Java's parsing:
 *
 * <pre>
 * "agentbus-sig-v1" LF
 * then, for each name of {@link #COVERED_FIELDS} in that order:
 *   name SP byte-length SP value LF     if the field is present (length: decimal count of the value's UTF-8 bytes)
 *   name SP "-" LF                      if it is absent
 * </pre>
 *
 * The length prefix makes the form unambiguous whatever a value holds (spaces, newlines), and tells an
 * absent field from an empty one. Fields not listed (extensions such as {@code traceparent}, and
 * {@code sig} itself) are not covered. Pure functions; thread-safe.
 */
public final class EnvelopeSignature {

    /** The first line of the canonical form: the version of this signing scheme. */
    public static final String SCHEME = "agentbus-sig-v1";

    /** The fields the signature covers, in canonical order: the table order of docs/PROTOCOL.md, then {@code kid}. */
    public static final List<String> COVERED_FIELDS = List.of(
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
            EXPIRES_AT,
            KID);

    /** The shortest key accepted: 32 bytes, the size of the HMAC-SHA256 output. */
    public static final int MIN_KEY_BYTES = 32;

    private static final String ALGORITHM = "HmacSHA256";
    private static final int MAC_BYTES = 32;
    private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final String KEY_ID_RULE =
            "must be 1-64 characters of letters, digits, '_', '.', '-', starting with a letter or digit";

    private EnvelopeSignature() {}

    /**
     * The canonical form of an entry whose fields {@code field} gives as UTF-8 bytes, or {@code null} for an
     * absent one: readers use the bytes as read from Redis.
     */
    public static byte[] canonical(Function<String, byte[]> field) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.writeBytes((SCHEME + "\n").getBytes(StandardCharsets.US_ASCII));
        for (String name : COVERED_FIELDS) {
            byte[] value = field.apply(name);
            if (value == null) {
                out.writeBytes((name + " -\n").getBytes(StandardCharsets.US_ASCII));
            } else {
                out.writeBytes((name + " " + value.length + " ").getBytes(StandardCharsets.US_ASCII));
                out.writeBytes(value);
                out.write('\n');
            }
        }
        return out.toByteArray();
    }

    /** The canonical form of an entry given as text fields (the form a writer holds). */
    public static byte[] canonical(Map<String, String> fields) {
        return canonical(name -> {
            String value = fields.get(name);
            return value == null ? null : value.getBytes(StandardCharsets.UTF_8);
        });
    }

    /**
     * The value of {@link WireFields#SIG} for {@code fields}, which must already hold the {@code kid} of
     * {@code key}: standard base64 (with padding) of HMAC-SHA256({@code key}, canonical form).
     *
     * @throws IllegalArgumentException if {@code fields} has no valid {@code kid} or the key is shorter than
     *                                  {@link #MIN_KEY_BYTES}
     */
    public static String sign(Map<String, String> fields, byte[] key) {
        checkKeyId(fields.get(KID));
        return Base64.getEncoder().encodeToString(mac(canonical(fields), key));
    }

    /**
     * Whether {@code sig} (the field's text) is the signature of {@code canonical} with {@code key}, compared
     * in constant time. A {@code sig} that is not base64 of 32 bytes is simply not a match.
     */
    public static boolean verify(byte[] canonical, String sig, byte[] key) {
        byte[] claimed;
        try {
            claimed = Base64.getDecoder().decode(sig);
        } catch (IllegalArgumentException notBase64) {
            return false;
        }
        return claimed.length == MAC_BYTES && MessageDigest.isEqual(mac(canonical, key), claimed);
    }

    /** HMAC-SHA256 of {@code data} with {@code key}. */
    public static byte[] mac(byte[] data, byte[] key) {
        checkKey(key);
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(key, ALGORITHM));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every Java 17 runtime has " + ALGORITHM, e);
        }
    }

    /** Whether {@code kid} follows the key id rule (the agent id alphabet, 1-64 characters). */
    public static boolean isValidKeyId(String kid) {
        return kid != null && KEY_ID.matcher(kid).matches();
    }

    /** @throws IllegalArgumentException naming the rule if {@code kid} breaks it */
    public static String checkKeyId(String kid) {
        if (!isValidKeyId(kid)) {
            throw new IllegalArgumentException(
                    "key id " + (kid == null ? "null" : "'" + kid + "'") + " " + KEY_ID_RULE);
        }
        return kid;
    }

    /** @throws IllegalArgumentException if {@code key} is shorter than {@link #MIN_KEY_BYTES} */
    public static byte[] checkKey(byte[] key) {
        if (key == null || key.length < MIN_KEY_BYTES) {
            throw new IllegalArgumentException("a signing key must be at least " + MIN_KEY_BYTES + " bytes, was "
                    + (key == null ? "null" : key.length + " bytes"));
        }
        return key;
    }
}
