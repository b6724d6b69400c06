package io.agentbus.cli.commands;

import io.agentbus.AgentId;
import io.agentbus.cli.BusConnection;
import io.agentbus.cli.ExitCodes;
import io.agentbus.protocol.AgentAclRule;
import io.agentbus.protocol.RedisVersion;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code agentbus acl provision}: the Redis ACL user of one agent ({@link AgentAclRule}), printed, or
 * created on the Redis that {@code --redis} names. The password never appears in the output: the rule
 * carries its SHA-256, and a generated password goes only into the password file.
 */
@Command(
        name = "provision",
        mixinStandardHelpOptions = true,
        description = {
            "Print (or with --apply create) the Redis ACL user agent-AGENT, which may consume AGENT's own"
                    + " inbox (its keys agent:{AGENT}:* and its audit streams) and nothing of any other agent:"
                    + " not read, claim, ack, trim or delete another inbox, nor read its dead letters or"
                    + " counters.",
            "It cannot send either: sending writes the recipient's keys, which no per-agent rule can allow"
                    + " without letting the agent read or empty that inbox; per-agent outboxes and a router are"
                    + " the next step (docs/adr/0003-per-agent-acl-users.md). It is not marked live in"
                    + " agents:live and publishes no presence events.",
            "The rule carries the password's SHA-256 (#<hex>), never the password. Needs Redis 7.0+ (key"
                    + " permissions %%RW~, ACL DRYRUN); refused on 6.2. --apply runs ACL SETUSER on a"
                    + " standalone Redis (on a cluster, run the printed line on every node), then checks"
                    + " the user with ACL DRYRUN."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            ExitCodes.OK + ":Printed, or applied and checked.",
            ExitCodes.FAILED_HELP,
            ExitCodes.INVALID_INPUT
                    + ":Invalid input: bad agent id, unreadable password file, Redis older than 7.0, --apply"
                    + " without --redis or --user-password-file."
        })
public final class AclProvisionCommand implements Callable<Integer> {

    private static final SecureRandom RANDOM = new SecureRandom();

    @Mixin
    private BusConnection connection;

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "AGENT", description = "The agent id whose user to provision.")
    private String agent;

    @Option(
            names = "--apply",
            description = "Create (or reset) the user on the Redis that --redis names, instead of only printing"
                    + " the rule; needs an admin user (ACL SETUSER, ACL DRYRUN, INFO).")
    private boolean apply;

    @Option(
            names = "--user-password-file",
            paramLabel = "FILE",
            description = {
                "The user's password: the file's first line. With --apply, a FILE that does not exist is"
                        + " created (owner-only) holding a new random 256-bit password; that is the only place"
                        + " the password is written. Without it the printed rule has the placeholder"
                        + " >CHANGE-ME, and --apply is refused."
            })
    private Path passwordFile;

    @Override
    public Integer call() {
        AgentId id = AgentId.of(agent);
        Optional<String> uri = connection.redisUri();
        if (apply && uri.isEmpty()) {
            throw new IllegalArgumentException("--apply needs the Redis to create the user on: give --redis or "
                    + BusConnection.REDIS_URL_VARIABLE);
        }
        if (apply && passwordFile == null) {
            throw new IllegalArgumentException("--apply needs --user-password-file FILE: the password is read from it,"
                    + " or generated into it when it does not exist; it is never printed");
        }
        if (uri.isPresent() && uri.get().startsWith("redis-cluster://")) {
            // ACL users are per node: a user created on one master is unknown to the others.
            throw new IllegalArgumentException("acl provision speaks to one server: on a cluster, print the rule"
                    + " (without --redis) and run it on every master and replica");
        }
        PrintWriter out = spec.commandLine().getOut();
        if (uri.isEmpty()) {
            out.println(line(id, passwordFile == null ? null : readPassword(passwordFile)));
            out.flush();
            return ExitCodes.OK;
        }
        RedisClient client = RedisClient.create(uri.get());
        try (StatefulRedisConnection<String, String> redis = client.connect()) {
            RedisCommands<String, String> commands = redis.sync();
            requireRedis7(commands);
            String password = null;
            if (passwordFile != null) {
                password = apply ? readOrGenerate(passwordFile) : readPassword(passwordFile);
            }
            out.println(line(id, password));
            if (apply) {
                List<String> args = AgentAclRule.setUserArguments(id, AgentAclRule.sha256(password));
                acl(commands, "SETUSER", args);
                check(commands, id);
                spec.commandLine()
                        .getErr()
                        .printf(
                                "agentbus: created ACL user %s (password in %s)%n",
                                AgentAclRule.userName(id), passwordFile);
            }
            out.flush();
            return ExitCodes.OK;
        } finally {
            client.shutdown();
        }
    }

    /** The printable {@code ACL SETUSER} line: the password as its SHA-256, or the placeholder. */
    static String line(AgentId id, String password) {
        List<String> args = AgentAclRule.setUserArguments(id, AgentAclRule.sha256("placeholder"));
        args.set(3, password == null ? ">CHANGE-ME" : "#" + AgentAclRule.sha256(password));
        return "ACL SETUSER " + String.join(" ", args);
    }

    private static void requireRedis7(RedisCommands<String, String> commands) {
        RedisVersion version = null;
        for (String line : commands.info("server").split("\r?\n")) {
            if (line.startsWith("redis_version:")) {
                version = RedisVersion.parse(
                        line.substring("redis_version:".length()).trim());
            }
        }
        if (version == null || version.compareTo(AgentAclRule.MINIMUM_REDIS) < 0) {
            throw new IllegalArgumentException("per-agent ACL users need Redis " + AgentAclRule.MINIMUM_REDIS
                    + " or newer (key permissions %RW~ and ACL DRYRUN), this is Redis " + version
                    + "; on 6.2 use the per-process rules of docs/SECURITY.md");
        }
    }

    /**
     * Asks Redis, with {@code ACL DRYRUN}, whether the new user may read its own inbox and may not read
     * another's: a rule that Redis parsed differently from what was meant fails here, not in production.
     */
    private static void check(RedisCommands<String, String> commands, AgentId id) {
        String user = AgentAclRule.userName(id);
        String own = "agent:{" + id.value() + "}:inbox";
        String other = "agent:{" + id.value() + "-other}:inbox";
        String allowed = acl(commands, "DRYRUN", List.of(user, "XREADGROUP", "GROUP", "g", "c", "STREAMS", own, ">"));
        String refused = acl(commands, "DRYRUN", List.of(user, "XRANGE", other, "-", "+"));
        if (!"OK".equals(allowed) || "OK".equals(refused)) {
            throw new IllegalStateException("the ACL user " + user + " was created but does not behave as meant"
                    + " (ACL DRYRUN: own inbox " + allowed + ", another's " + refused + ")");
        }
    }

    private static String acl(RedisCommands<String, String> commands, String subcommand, List<String> args) {
        CommandArgs<String, String> command = new CommandArgs<>(StringCodec.UTF8).add(subcommand);
        args.forEach(command::add);
        return commands.dispatch(CommandType.ACL, new StatusOutput<>(StringCodec.UTF8), command);
    }

    private static String readPassword(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.isEmpty() || lines.get(0).isBlank()) {
                throw new IllegalArgumentException("--user-password-file " + file + " is empty");
            }
            return lines.get(0).strip();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read --user-password-file " + file + ": " + e, e);
        }
    }

    private static String readOrGenerate(Path file) {
        if (Files.exists(file)) {
            return readPassword(file);
        }
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String password = HexFormat.of().formatHex(secret);
        try {
            Files.createFile(file);
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException e) {
                // Not a POSIX file system: the file keeps the default permissions of its directory.
            }
            Files.writeString(file, password + "\n", StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
            return password;
        } catch (FileAlreadyExistsException e) {
            return readPassword(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write --user-password-file " + file + ": " + e, e);
        }
    }
}
