package io.agentbus.reliability;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentbus.testkit.RawRedis;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScriptOutputType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Runs the protocol's Lua scripts on a raw connection as the bus sends them (protocol.lua, then
 * audit_record.lua where it applies, then the script: docs/PROTOCOL.md section 11), with the keys and
 * arguments an agent in another language, or an attacker, would pass; and tells whether a failed run
 * wrote anything.
 */
final class RawScripts {

    private static final String PACKAGE = "io/agentbus/redis/";
    private static final Set<String> AUDITING = Set.of("ack.lua", "retry_later.lua", "dead_letter.lua", "redrive.lua");

    private RawScripts() {}

    static <T> T run(RawRedis raw, String script, ScriptOutputType type, String[] keys, String... args) {
        return raw.commands().eval(source(script), type, keys, args);
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

    private static String source(String script) {
        String preamble = AUDITING.contains(script) ? read("audit_record.lua") : "";
        return read("protocol.lua") + preamble + read(script);
    }

    private static String read(String name) {
        try (InputStream in = RawScripts.class.getClassLoader().getResourceAsStream(PACKAGE + name)) {
            if (in == null) {
                throw new IllegalStateException("no script " + PACKAGE + name + " on the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
