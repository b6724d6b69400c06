package io.agentbus.security;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentbus.AgentBus;
import io.agentbus.AgentBusException;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.BusPermissionException;
import io.agentbus.ConnectionOptions;
import io.agentbus.DeliveryOptions;
import io.agentbus.Envelope;
import io.agentbus.MessageId;
import io.agentbus.audit.AuditQuery;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.KeySchema;
import io.agentbus.testkit.AgentBusContract;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RecordingHandler;
import io.agentbus.testkit.RedisServerExtension;
import io.lettuce.core.Consumer;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The ACL rules of docs/SECURITY.md, read from the file: the whole contract runs as the full-bus user
 * (no {@code @dangerous} command), a crashed consumer's message is reclaimed under it, the narrower
 * rules do what they promise, and for each permission taken out of the full rule the start-up check
 * names it. Redis 7 only: the rules use {@code %R~} key patterns, and the bundled 6.2 cannot load them.
 */
@ExtendWith(RedisServerExtension.class)
class LeastPrivilegeIT extends AgentBusContract {

    private static final String PASSWORD = "least-privilege-pw";
    private static final Path SECURITY_MD = Path.of("..", "docs", "SECURITY.md");

    private LocalRedis redis;
    private RawRedis admin;
    private String fullRule;

    @BeforeAll
    void createTheDocumentedUsers(LocalRedis redis, RawRedis admin) throws IOException {
        RedisServerExtension.assumeAtLeast(
                redis, 7, 0, "least-privilege uses ACL selectors (%R~) and the 7.0 ACL error messages");
        this.redis = redis;
        this.admin = admin;
        fullRule = rule("agentbus-bus");
        for (String user : List.of("agentbus-bus", "agentbus-sender", "agentbus-operator-ro", "agentbus-dashboard")) {
            setUser(rule(user));
        }
    }

    @Override
    protected AgentBus connect(BusOptions options) {
        return AgentBus.connect(uriOf("agentbus-bus"), options);
    }

    @Override
    protected String topology() {
        return "least-privilege";
    }

    @Test
    void theFullRuleLacksOnlyTheDangerousExtras() {
        try (AgentBus bus = AgentBus.connect(uriOf("agentbus-bus"))) {
            assertThat(String.join("\n", bus.serverWarnings()))
                    .contains("prompt wake-ups")
                    .contains("CLIENT|UNBLOCK")
                    .contains("may not run CONFIG GET")
                    .doesNotContain("for sending", "for consuming", "for swarms", "for broadcasts", "durable topics");
            assertThat(bus.serverVersion().atLeast(7, 0)).isTrue();
        }
    }

    @Test
    void aMessageHeldByACrashedConsumerIsReclaimedByAnotherInstance() throws Exception {
        AgentId agent = freshAgent("reclaimed");
        BusOptions fastReclaim = BusOptions.builder()
                .delivery(DeliveryOptions.builder()
                        .visibilityTimeout(Duration.ofMillis(300))
                        .build())
                .build();
        RecordingHandler survivor = RecordingHandler.acking();
        try (AgentBus bus = AgentBus.connect(uriOf("agentbus-bus"), fastReclaim)) {
            bus.subscribe(agent, survivor).close(); // creates the group, then leaves
            MessageId id = bus.sync().send(task(agent)).messageId();
            // A consumer that read the message and died: it stays pending under "crashed".
            List<StreamMessage<String, String>> taken = admin.commands()
                    .xreadgroup(
                            Consumer.from(KeySchema.INBOX_GROUP, "crashed"),
                            XReadArgs.StreamOffset.lastConsumed(KeySchema.inbox(agent, 5)));
            assertThat(taken).hasSize(1);

            bus.subscribe(agent, fastReclaim.delivery(), survivor);

            assertThat(survivor.await(1, Duration.ofSeconds(10)))
                    .singleElement()
                    .satisfies(delivery ->
                            assertThat(delivery.envelope().messageId()).isEqualTo(id));
        }
    }

    @Test
    void aSendOnlyUserSendsButIsRefusedASubscriptionNamingWhatItLacks() {
        AgentId agent = freshAgent("sendonly");
        try (AgentBus listening = AgentBus.connect(uriOf("agentbus-bus"));
                AgentBus sender = AgentBus.connect(uriOf("agentbus-sender"))) {
            RecordingHandler handler = RecordingHandler.acking();
            listening.subscribe(agent, handler);

            sender.sync().send(task(agent));
            sender.sync().send(task(agent), Duration.ofMillis(200));
            sender.sync()
                    .publish(
                            "events:least-privilege",
                            Envelope.builder()
                                    .from("least-privilege")
                                    .to("all")
                                    .type("note")
                                    .payload("{}")
                                    .build());

            assertThat(awaitQuietly(handler, 2)).hasSize(2);
            assertThat(String.join("\n", sender.serverWarnings())).contains("for consuming", "XREADGROUP");
            assertThatThrownBy(() -> sender.subscribe(agent, RecordingHandler.acking()))
                    .isInstanceOf(BusPermissionException.class)
                    .satisfies(e -> assertThat(((BusPermissionException) e).missing())
                            .contains("XREADGROUP", "XACK", "XAUTOCLAIM"));
        }
    }

    @Test
    void readOnlyOperatorAndDashboardReadEverythingAndWriteNothing() {
        AgentId agent = freshAgent("inspected");
        try (AgentBus bus = AgentBus.connect(uriOf("agentbus-bus"))) {
            bus.subscribe(agent, RecordingHandler.acking()).close();
            bus.sync().send(task(agent));
        }
        for (String user : List.of("agentbus-operator-ro", "agentbus-dashboard")) {
            try (AgentBus reader = AgentBus.connect(uriOf(user))) {
                assertThat(reader.sync().inbox(agent).length()).as(user).isEqualTo(1);
                assertThat(reader.deadLetters(agent).list(10)).as(user).isEmpty();
                assertThat(reader.audit().tail(AuditQuery.all(), 10)).as(user).isNotEmpty();
                assertThat(reader.registry().known()).as(user).contains(agent);
                reader.registry().live();
                reader.swarms().list();

                assertThatThrownBy(() -> reader.sync().send(task(agent)))
                        .as(user)
                        .isInstanceOf(BusPermissionException.class);
            }
        }
    }

    @Test
    void aCommandRevokedUnderARunningBusIsNamedByTheFailure() {
        setUser("ACL SETUSER agentbus-revoked reset on >" + PASSWORD + " " + permissions(fullRule));
        AgentId agent = freshAgent("revoked");
        try (AgentBus bus = AgentBus.connect(uriOf("agentbus-revoked"))) {
            setUser("ACL SETUSER agentbus-revoked -xadd");

            assertThatThrownBy(() -> bus.sync().send(task(agent)))
                    .isInstanceOf(BusPermissionException.class)
                    .hasMessageContaining("XADD")
                    .satisfies(e ->
                            assertThat(((BusPermissionException) e).missing()).containsExactly("XADD"));
        }
    }

    @Test
    void theStartUpCheckNamesEachPermissionRemovedFromTheFullRule() {
        List<String> permissions = Arrays.asList(permissions(fullRule).split(" "));
        List<String> unnamed = new ArrayList<>();
        int named = 0;
        long started = System.nanoTime();
        BusOptions quick = BusOptions.builder()
                .connection(
                        ConnectionOptions.builder().connectWait(Duration.ZERO).build())
                .build();
        for (String removed : permissions) {
            if (removed.startsWith("-") || removed.equals("resetkeys") || removed.equals("resetchannels")) {
                continue;
            }
            List<String> kept = new ArrayList<>(permissions);
            kept.remove(removed);
            setUser("ACL SETUSER agentbus-lacking reset on >" + PASSWORD + " " + String.join(" ", kept));
            String report;
            try (AgentBus bus = AgentBus.connect(uriOf("agentbus-lacking"), quick)) {
                report = String.join("\n", bus.serverWarnings());
            } catch (AgentBusException e) {
                report = e.getMessage();
            }
            if (report.toUpperCase(Locale.ROOT).contains(expectedName(removed).toUpperCase(Locale.ROOT))) {
                named++;
            } else {
                unnamed.add(removed + " -> " + report);
            }
        }
        int removedCount = named + unnamed.size();
        System.out.printf(
                "RESULT scenario=least-privilege removed=%d missing_named=%d elapsed_ms=%d%n",
                removedCount, named, (System.nanoTime() - started) / 1_000_000);
        assertThat(unnamed).isEmpty();
        assertThat(named).isEqualTo(removedCount).isGreaterThan(40);
    }

    /** How the check names a permission of the rule: {@code XADD}, {@code keys agent:*}, {@code channels}. */
    private static String expectedName(String permission) {
        if (permission.startsWith("+")) {
            return permission.substring(1);
        }
        if (permission.startsWith("~") || permission.startsWith("%")) {
            return "keys " + permission.substring(permission.indexOf('~') + 1);
        }
        if (permission.startsWith("&")) {
            return "channels";
        }
        throw new IllegalArgumentException("not a permission: " + permission);
    }

    /** The rule's permissions: everything after the password. */
    private static String permissions(String rule) {
        return rule.substring(rule.indexOf(" >") + 2).replaceFirst("^\\S+ ", "");
    }

    /** The documented {@code ACL SETUSER} line of {@code user}, with the test's password. */
    private static String rule(String user) throws IOException {
        return Files.readAllLines(SECURITY_MD).stream()
                .filter(line -> line.startsWith("ACL SETUSER " + user + " "))
                .findFirst()
                .orElseThrow(() -> new AssertionError("docs/SECURITY.md has no rule for " + user))
                .replace(">CHANGE-ME", ">" + PASSWORD);
    }

    private void setUser(String rule) {
        String[] words = rule.split(" ");
        assertThat(words[0] + " " + words[1]).isEqualTo("ACL SETUSER");
        String reply = admin.commands()
                .dispatch(
                        io.lettuce.core.protocol.CommandType.ACL,
                        new io.lettuce.core.output.StatusOutput<>(io.lettuce.core.codec.StringCodec.UTF8),
                        new io.lettuce.core.protocol.CommandArgs<>(io.lettuce.core.codec.StringCodec.UTF8)
                                .addValues(Arrays.asList(words).subList(1, words.length)));
        assertThat(reply).isEqualTo("OK");
    }

    private static Envelope task(AgentId agent) {
        return Envelope.builder()
                .from("least-privilege")
                .to(agent)
                .type("task")
                .payload("{}")
                .build();
    }

    private String uriOf(String user) {
        return "redis://" + user + ":" + PASSWORD + "@" + redis.host() + ":" + redis.port();
    }

    private static List<io.agentbus.Delivery> awaitQuietly(RecordingHandler handler, int count) {
        try {
            return handler.await(count, Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
