package io.agentbus.redis;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletionStage;

/**
 * A Lua script of the protocol, run by its SHA1 ({@code EVALSHA}) and sent in full only when the
 * server does not know it yet ({@code NOSCRIPT}, e.g. after a restart).
 */
final class LuaScript {

    private final String name;
    private final String source;
    private final String sha;

    private LuaScript(String name, String source) {
        this.name = name;
        this.source = source;
        this.sha = sha1(source);
    }

    /**
     * The protocol facts the scripts share with the Java code (audited fields, priority band limits),
     * prepended to every script: Redis 6.2 has no way for one script to include another.
     */
    static final String PROTOCOL = "protocol.lua";

    /** Loads {@code name} from this package's resources, after {@link #PROTOCOL}. */
    static LuaScript load(String name) {
        return new LuaScript(name, read(PROTOCOL) + read(name));
    }

    /**
     * Loads {@code name} with {@code preamble} (a file of shared local functions) prepended, after
     * {@link #PROTOCOL}, so that the sharing happens here, once.
     */
    static LuaScript load(String name, String preamble) {
        return new LuaScript(name, read(PROTOCOL) + read(preamble) + read(name));
    }

    /** The text of resource {@code name} of this package. */
    static String read(String name) {
        try (InputStream in = LuaScript.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing script resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read script " + name, e);
        }
    }

    @SafeVarargs
    final <K, V, T> CompletionStage<T> run(
            RedisScriptingAsyncCommands<K, V> redis, ScriptOutputType type, K[] keys, V... args) {
        CompletionStage<T> bySha = redis.evalsha(sha, type, keys, args);
        return bySha.exceptionallyCompose(failure ->
                RedisErrors.hasErrorCode(failure, "NOSCRIPT") ? redis.<T>eval(source, type, keys, args) : bySha);
    }

    @Override
    public String toString() {
        return name + "@" + sha;
    }

    private static String sha1(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required by every JVM", e);
        }
    }
}
