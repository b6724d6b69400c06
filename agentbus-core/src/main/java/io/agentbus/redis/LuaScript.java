package io.agentbus.redis;

import io.agentbus.BusPermissionException;
import io.agentbus.protocol.ProtocolScripts;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

    /** Loads script {@code name} as it is run ({@link ProtocolScripts#source}). */
    static LuaScript load(String name) {
        return new LuaScript(name, ProtocolScripts.source(name));
    }

    @SafeVarargs
    final <K, V, T> CompletionStage<T> run(
            RedisScriptingAsyncCommands<K, V> redis, ScriptOutputType type, K[] keys, V... args) {
        CompletionStage<T> bySha = redis.evalsha(sha, type, keys, args);
        CompletionStage<T> result = bySha.exceptionallyCompose(failure ->
                RedisErrors.hasErrorCode(failure, "NOSCRIPT") ? redis.<T>eval(source, type, keys, args) : bySha);
        return result.handle((value, failure) -> {
            if (failure == null) {
                return value;
            }
            BusPermissionException denied = permissionError(failure);
            throw denied != null ? new CompletionException(denied) : asCompletion(failure);
        });
    }

    private static CompletionException asCompletion(Throwable failure) {
        return failure instanceof CompletionException completion ? completion : new CompletionException(failure);
    }

    /** Redis 7 ({@code on @user_script:57.}) and 6.2 ({@code @user_script:57:}) name the line of the script. */
    private static final Pattern SCRIPT_LINE = Pattern.compile("@user_script:\\s*(\\d+)");

    private static final Pattern CALL =
            Pattern.compile("redis\\.p?call\\(\\s*'([A-Za-z]+)'(?:\\s*,\\s*'([A-Za-z]+)')?");

    /** Commands whose second argument is a subcommand, as ACL rules name them ({@code XINFO|GROUPS}). */
    private static final Set<String> CONTAINERS = Set.of("XINFO", "XGROUP", "CLIENT", "CONFIG", "OBJECT", "SCRIPT");

    /**
     * The failure as a {@link BusPermissionException} naming the command, when it is an ACL denial: a
     * {@code NOPERM} reply to {@code EVALSHA}/{@code EVAL} themselves (or their keys), or a command inside
     * the script that the user may not run or whose keys it may not touch; {@code null} for any other failure.
     */
    BusPermissionException permissionError(Throwable failure) {
        for (Throwable error = failure; error != null; error = error.getCause()) {
            String message = error.getMessage();
            if (!(error instanceof RedisCommandExecutionException) || message == null) {
                continue;
            }
            if (message.startsWith("NOPERM")) {
                List<String> missing = message.contains("keys")
                        ? List.of("keys of " + name)
                        : List.of(message.toLowerCase(Locale.ROOT).contains("'eval'") ? "EVAL" : "EVALSHA");
                return new BusPermissionException(
                        "the ACL user may not run script " + name + ": " + message, missing, error);
            }
            if (message.contains("The user executing the script can't")) {
                String command = commandAt(message);
                boolean keys = message.contains("keys");
                String what = command == null ? "a command" : command;
                return new BusPermissionException(
                        "script " + name + " was refused by the ACL: the user may not "
                                + (keys ? "touch a key of " + what : "run " + what)
                                + " (docs/SECURITY.md lists the rules): " + message,
                        List.of(keys ? "keys of " + what : what),
                        error);
            }
        }
        return null;
    }

    /** The command that the script's line named by {@code message} calls, e.g. {@code XAUTOCLAIM}. */
    private String commandAt(String message) {
        Matcher line = SCRIPT_LINE.matcher(message);
        if (!line.find()) {
            return null;
        }
        String[] lines = source.split("\n", -1);
        int number = Integer.parseInt(line.group(1));
        if (number < 1 || number > lines.length) {
            return null;
        }
        Matcher call = CALL.matcher(lines[number - 1]);
        if (!call.find()) {
            return null;
        }
        String command = call.group(1).toUpperCase(Locale.ROOT);
        return call.group(2) != null && CONTAINERS.contains(command)
                ? command + "|" + call.group(2).toUpperCase(Locale.ROOT)
                : command;
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
