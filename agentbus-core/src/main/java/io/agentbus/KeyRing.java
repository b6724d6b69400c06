package io.agentbus;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.agentbus.protocol.EnvelopeSignature;
import java.util.Base64;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Signing keys held in memory, immutable: per agent its keys by id, and the one it signs with (the one
 * named by {@code sign_with}, or its only key). A key id belongs to one agent only, so that a message's
 * {@code kid} names its owner without doubt.
 */
final class KeyRing implements SigningKeys {

    static final KeyRing EMPTY = new KeyRing(Map.of(), Map.of(), Map.of());

    private final Map<AgentId, Map<String, byte[]>> keys;
    private final Map<AgentId, SigningKey> signing;
    private final Map<String, AgentId> owners;

    private KeyRing(
            Map<AgentId, Map<String, byte[]>> keys, Map<AgentId, SigningKey> signing, Map<String, AgentId> owners) {
        this.keys = keys;
        this.signing = signing;
        this.owners = owners;
    }

    @Override
    public Optional<SigningKey> signingKey(AgentId agent) {
        return Optional.ofNullable(signing.get(agent));
    }

    @Override
    public Optional<byte[]> key(AgentId agent, String kid) {
        Map<String, byte[]> own = keys.get(agent);
        return own == null
                ? Optional.empty()
                : Optional.ofNullable(own.get(kid)).map(byte[]::clone);
    }

    @Override
    public Optional<AgentId> ownerOf(String kid) {
        return Optional.ofNullable(owners.get(kid));
    }

    /** Agents and their key ids; never the keys. */
    @Override
    public String toString() {
        Map<AgentId, Object> ids = new LinkedHashMap<>();
        keys.forEach((agent, own) -> ids.put(agent, own.keySet()));
        return "SigningKeys" + ids;
    }

    /** Parses the key document ({@link SigningKeys}); {@code source} names it in errors. */
    static KeyRing parse(String json, String source) {
        JsonNode root;
        try {
            root = JsonPayload.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + " is not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(source + " must be a JSON object of agents");
        }
        Building ring = new Building();
        for (Iterator<Map.Entry<String, JsonNode>> agents = root.fields(); agents.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = agents.next();
            String where = source + ", agent " + entry.getKey();
            AgentId agent;
            try {
                agent = AgentId.of(entry.getKey());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage());
            }
            JsonNode own = entry.getValue().get("keys");
            if (own == null || !own.isObject() || own.isEmpty()) {
                throw new IllegalArgumentException(where + ": \"keys\" must be an object of key id -> base64 key");
            }
            for (Iterator<Map.Entry<String, JsonNode>> ids = own.fields(); ids.hasNext(); ) {
                Map.Entry<String, JsonNode> key = ids.next();
                String keyWhere = where + ", key " + key.getKey();
                if (!key.getValue().isTextual()) {
                    throw new IllegalArgumentException(keyWhere + ": must be a base64 string");
                }
                byte[] bytes;
                try {
                    bytes = Base64.getDecoder().decode(key.getValue().asText().trim());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(keyWhere + ": not standard base64");
                }
                ring.add(agent, key.getKey(), bytes, keyWhere);
            }
            JsonNode signWith = entry.getValue().get("sign_with");
            if (signWith != null) {
                ring.signWith(agent, signWith.asText(), where);
            }
        }
        return ring.build();
    }

    /** Collects keys, checking each as it comes. */
    static final class Building {
        private final Map<AgentId, Map<String, byte[]>> keys = new LinkedHashMap<>();
        private final Map<AgentId, String> signWith = new LinkedHashMap<>();
        private final Map<String, AgentId> owners = new LinkedHashMap<>();

        void add(AgentId agent, String kid, byte[] key, String where) {
            try {
                EnvelopeSignature.checkKeyId(kid);
                EnvelopeSignature.checkKey(key);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage());
            }
            AgentId owner = owners.putIfAbsent(kid, agent);
            if (owner != null) {
                throw new IllegalArgumentException(
                        where + ": key id " + kid + " is already " + owner + "'s; a key id belongs to one agent");
            }
            keys.computeIfAbsent(agent, any -> new LinkedHashMap<>()).put(kid, key.clone());
        }

        void signWith(AgentId agent, String kid, String where) {
            if (!keys.getOrDefault(agent, Map.of()).containsKey(kid)) {
                throw new IllegalArgumentException(where + ": sign_with names key " + kid + ", which it does not have");
            }
            signWith.put(agent, kid);
        }

        KeyRing build() {
            Map<AgentId, Map<String, byte[]>> frozen = new LinkedHashMap<>();
            Map<AgentId, SigningKey> signing = new LinkedHashMap<>();
            keys.forEach((agent, own) -> {
                frozen.put(agent, Collections.unmodifiableMap(new LinkedHashMap<>(own)));
                String kid = signWith.get(agent);
                if (kid == null && own.size() == 1) {
                    kid = own.keySet().iterator().next();
                }
                if (kid != null) {
                    signing.put(agent, new SigningKey(kid, own.get(kid)));
                }
            });
            return new KeyRing(
                    Collections.unmodifiableMap(frozen),
                    Collections.unmodifiableMap(signing),
                    Collections.unmodifiableMap(new LinkedHashMap<>(owners)));
        }
    }
}
