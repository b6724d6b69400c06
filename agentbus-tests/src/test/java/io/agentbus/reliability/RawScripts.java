package io.agentbus.reliability;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentbus.protocol.ProtocolScripts;
import io.agentbus.testkit.RawRedis;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScriptOutputType;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs the protocol's Lua scripts on a raw connection as the bus sends them (the files the script's first
 * line names, then the script: {@link ProtocolScripts#source}), with the keys and
 * arguments an agent in another language, or an attacker, would pass; and tells whether a failed run
 * wrote anything.
 */
final class RawScripts {

    private RawScripts() {}

    static <T> T run(RawRedis raw, String script, ScriptOutputType type, String[] keys, String... args) {
        return raw.commands().eval(ProtocolScripts.source(script), type, keys, args);
    }

    /** Runs {@code script}, which must fail with an error reply; returns the error's text. */
    static String failure(RawRedis raw, String script, String[] keys, String... args) {
        String[] error = new String[1];
        assertThatThrownBy(() -> run(raw, script, ScriptOutputType.MULTI, keys, args))
                .as(script + " must refuse this")
                .isInstanceOfSatisfying(RedisCommandExecutionException.class, e -> error[0] = e.getMessage());
        return error[0];
    }

    /**
     * What the keys hold, DUMPed (pending entries and their delivery times included), {@code null} for an
     * absent key: equal before and after a script means it wrote nothing to them. A script can write
     * only its KEYS.
     */
    static Map<String, String> snapshot(RawRedis raw, String... keys) {
        Map<String, String> dumps = new LinkedHashMap<>();
        for (String key : keys) {
            byte[] dump = raw.bytes().dump(key.getBytes(StandardCharsets.UTF_8));
            dumps.put(key, dump == null ? null : Base64.getEncoder().encodeToString(dump));
        }
        return dumps;
    }
}
