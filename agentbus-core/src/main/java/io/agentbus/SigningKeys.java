package io.agentbus;

import io.agentbus.protocol.EnvelopeSignature;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * The HMAC keys of signed envelopes ({@link SigningOptions}): per agent, one or more keys, each named by a
 * key id ({@code kid}), and the one this process signs that agent's messages with. During a rotation an
 * agent has two live keys: receivers accept both, the sender signs with the new one, and the old one is
 * retired once no message signed with it is waiting (docs/SECURITY.md).
 *
 * <p>Implementations must be thread-safe and fast: the bus asks for a key on every signed send and every
 * verified delivery. The ones here are {@link #parse(String) a JSON document}, {@link #fromFile(Path) a key
 * file} that is read again when it changes, {@link #fromEnvironment() the environment} and
 * {@link #builder() a builder}; an application may implement this interface over its secret store.
 *
 * <p>The key file format (JSON, keys in standard base64, at least
 * {@value EnvelopeSignature#MIN_KEY_BYTES} bytes each; {@code sign_with} may be left out when an agent has
 * one key, and an agent this process only verifies needs no {@code sign_with}):
 *
 * <pre>{@code
 * {
 *   "cmo":        {"sign_with": "cmo-2026-02", "keys": {"cmo-2026-01": "q83v…", "cmo-2026-02": "7Hk2…"}},
 *   "copywriter": {"keys": {"copywriter-1": "Zm9v…"}}
 * }
 * }</pre>
 */
public interface SigningKeys {

    /** No keys at all: what {@link SigningOptions#defaults()} holds, signing and verification being off. */
    SigningKeys NONE = KeyRing.EMPTY;

    /** The environment variable holding the key document itself (JSON, as {@link #parse(String)}). */
    String ENV_KEYS = "AGENTBUS_SIGNING_KEYS";

    /** The environment variable naming a key file ({@link #fromFile(Path)}); read when {@link #ENV_KEYS} is unset. */
    String ENV_KEYS_FILE = "AGENTBUS_SIGNING_KEYS_FILE";

    /** The key id and key that messages from {@code agent} are signed with here, if this process holds one. */
    Optional<SigningKey> signingKey(AgentId agent);

    /** The key {@code kid} if {@code agent} owns it; empty for a key id unknown or owned by another agent. */
    Optional<byte[]> key(AgentId agent, String kid);

    /** The agent that owns {@code kid}, if known: only to say "owned by another agent" in a dead letter's detail. */
    default Optional<AgentId> ownerOf(String kid) {
        return Optional.empty();
    }

    /**
     * A key to sign with.
     *
     * @param kid its id, 1–64 characters of the agent id alphabet
     * @param key the secret, at least {@value EnvelopeSignature#MIN_KEY_BYTES} bytes
     */
    record SigningKey(String kid, byte[] key) {
        public SigningKey {
            EnvelopeSignature.checkKeyId(kid);
            key = EnvelopeSignature.checkKey(key).clone();
        }

        @Override
        public byte[] key() {
            return key.clone();
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof SigningKey that && kid.equals(that.kid) && Arrays.equals(key, that.key);
        }

        @Override
        public int hashCode() {
            return kid.hashCode();
        }

        /** Never shows the key. */
        @Override
        public String toString() {
            return "SigningKey[kid=" + kid + "]";
        }
    }

    /**
     * The keys of a JSON key document (format above).
     *
     * @throws IllegalArgumentException naming the agent and key id at fault: bad JSON, a bad agent or key
     *                                  id, a key that is not base64 or is too short, a missing {@code sign_with}
     */
    static SigningKeys parse(String json) {
        return KeyRing.parse(json, "the key document");
    }

    /**
     * The keys of a key file (format above), read now, and read again on use when the file's modification
     * time or size changed (checked at most once a second), so that a rotation needs no restart. A changed
     * file that does not parse is logged and the keys read before are kept.
     *
     * @throws IllegalArgumentException if the file cannot be read or does not parse now
     */
    static SigningKeys fromFile(Path path) {
        return new KeyFile(Objects.requireNonNull(path, "path"), KeyFile.DEFAULT_CHECK_NANOS);
    }

    /**
     * The keys of {@value #ENV_KEYS} (a JSON document), else of the file named by {@value #ENV_KEYS_FILE}.
     *
     * @throws IllegalStateException if neither is set
     */
    static SigningKeys fromEnvironment() {
        String json = System.getenv(ENV_KEYS);
        if (json != null && !json.isBlank()) {
            return KeyRing.parse(json, ENV_KEYS);
        }
        String file = System.getenv(ENV_KEYS_FILE);
        if (file != null && !file.isBlank()) {
            return fromFile(Path.of(file));
        }
        throw new IllegalStateException("no signing keys: set " + ENV_KEYS + " or " + ENV_KEYS_FILE);
    }

    /** A builder of keys held in memory. */
    static Builder builder() {
        return new Builder();
    }

    /** Builds {@link SigningKeys} held in memory; each setter rejects a bad value at once. */
    final class Builder {
        private final KeyRing.Building ring = new KeyRing.Building();

        private Builder() {}

        /** Gives {@code agent} the key {@code kid}; the first key of an agent is the one it signs with, until {@link #signWith}. */
        public Builder key(String agent, String kid, byte[] key) {
            ring.add(AgentId.of(agent), kid, key, "key " + kid + " of " + agent);
            return this;
        }

        /** Signs {@code agent}'s messages with its key {@code kid}, which it must have been given. */
        public Builder signWith(String agent, String kid) {
            ring.signWith(AgentId.of(agent), kid, "agent " + agent);
            return this;
        }

        public SigningKeys build() {
            return ring.build();
        }
    }
}
