package io.agentbus.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.Envelope;
import io.agentbus.InboxStats;
import io.agentbus.Priority;
import io.agentbus.protocol.ProtocolScripts;
import io.agentbus.protocol.WireFields;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The Lua scripts and the Java code hold some protocol facts each (Redis 6.2 scripts cannot read Java
 * constants): this test reads the scripts and fails when the two copies disagree.
 */
class ProtocolLuaTest {

    private static final Pattern QUOTED = Pattern.compile("'([^']*)'");

    @Test
    void auditedFieldsOfTheScriptsAreThoseJavaPassesToAckLua() {
        Matcher table = Pattern.compile("local AUDITED_FIELDS = \\{([^}]*)}").matcher(protocolLua());

        assertThat(table.find()).as("AUDITED_FIELDS in protocol.lua").isTrue();
        assertThat(quoted(table.group(1))).isEqualTo(WireFields.AUDITED_FIELDS);
    }

    @Test
    void everyScriptThatIsRunNamesWhatIsPrependedToItAndTheRestArePrependedByOne() {
        Set<String> preambles = Set.of("protocol.lua", "audit_record.lua", "store_messages.lua");
        Set<String> prepended = new TreeSet<>();
        scripts().forEach((name, text) -> {
            if (preambles.contains(name)) {
                assertThat(text).as(name + " is prepended, not run").doesNotStartWith(ProtocolScripts.PREPEND);
                return;
            }
            String first = text.lines().findFirst().orElseThrow();
            assertThat(first).as("first line of " + name).startsWith(ProtocolScripts.PREPEND + " protocol.lua");
            prepended.addAll(Arrays.asList(
                    first.substring(ProtocolScripts.PREPEND.length()).trim().split(" ")));
            assertThat(ProtocolScripts.source(name))
                    .startsWith(ProtocolScripts.file("protocol.lua"))
                    .endsWith(text);
        });
        assertThat(prepended).containsExactlyInAnyOrderElementsOf(preambles);
    }

    @Test
    void fieldLimitOfTheScriptsIsThatOfWireFields() {
        assertThat(luaInteger("MAX_FIELDS")).isEqualTo(WireFields.MAX_FIELDS);
    }

    @Test
    void auditedValuesFollowTheOrderOfTheAuditedFields() {
        Envelope bare =
                Envelope.builder().from("a").to("b").type("t").payload("{}").build();
        Envelope full = bare.toBuilder()
                .priority(8)
                .correlationId("c-1")
                .conversationId("conv")
                .build();

        for (Envelope envelope : List.of(bare, full)) {
            Map<String, String> encoded = EnvelopeCodec.encode(envelope);
            List<String> expected = WireFields.AUDITED_FIELDS.stream()
                    .map(field -> encoded.getOrDefault(field, ""))
                    .toList();
            assertThat(EnvelopeCodec.auditedValues(envelope)).containsExactlyElementsOf(expected);
        }
    }

    @Test
    void priorityBandLimitsOfTheScriptsAreThoseOfPriorityBand() {
        int highLowest = luaInteger("HIGH_BAND_LOWEST");
        int lowHighest = luaInteger("LOW_BAND_HIGHEST");

        for (int priority = Priority.MIN; priority <= Priority.MAX; priority++) {
            // band_stream of protocol.lua, with the normal band as its "other" stream
            PriorityBand lua = priority >= highLowest
                    ? PriorityBand.HIGH
                    : priority <= lowHighest ? PriorityBand.LOW : PriorityBand.NORMAL;
            assertThat(lua).as("band of priority %d", priority).isEqualTo(PriorityBand.of(priority));
        }
    }

    @Test
    void everyDeadLetterAndAuditFieldTheScriptsWriteIsAWireField() {
        Set<String> written = new TreeSet<>();
        for (String script : scripts().values()) {
            for (String literal : quoted(script)) {
                if (literal.startsWith(WireFields.DLQ_PREFIX) && literal.length() > WireFields.DLQ_PREFIX.length()
                        || literal.startsWith(WireFields.AUDIT_PREFIX)) {
                    written.add(literal);
                }
            }
        }

        assertThat(wireFieldConstants()).containsAll(written);
        assertThat(written)
                .as("the dlq_ fields dead_letter.lua writes, all of which RedisDeadLetters reads")
                .containsAll(wireFieldConstants().stream()
                        .filter(name -> name.startsWith(WireFields.DLQ_PREFIX) && !name.equals(WireFields.DLQ_PREFIX))
                        .toList());
    }

    @Test
    void countersTheScriptsIncrementAreThoseInboxStatsReads() {
        // Of a key in KEYS or (store_messages.lua) of a destination's counters key.
        Pattern increment = Pattern.compile("'HINCRBY', (?:KEYS\\[\\d+]|to\\.counters), '([a-z_]+)'");
        Set<String> incremented = new TreeSet<>();
        for (String script : scripts().values()) {
            Matcher matcher = increment.matcher(script);
            while (matcher.find()) {
                incremented.add(matcher.group(1));
            }
        }
        // dead_letter.lua increments 'dead_lettered' or 'expired' through a variable
        incremented.addAll(List.of("dead_lettered", "expired"));
        List<String> components = Arrays.stream(InboxStats.Counters.class.getRecordComponents())
                .map(RecordComponent::getName)
                .map(name -> name.replaceAll("([A-Z])", "_$1").toLowerCase(java.util.Locale.ROOT))
                .toList();

        assertThat(WireFields.COUNTERS).isEqualTo(components);
        assertThat(incremented).containsExactlyInAnyOrderElementsOf(WireFields.COUNTERS);
    }

    @Test
    void theSharedNamesArePrependedToEveryScriptThatUsesThem() {
        String protocol = protocolLua();
        List<String> shared = new ArrayList<>();
        Matcher local = Pattern.compile("^local (?:function )?(\\w+)", Pattern.MULTILINE)
                .matcher(protocol);
        while (local.find()) {
            shared.add(local.group(1));
        }

        assertThat(shared).contains("AUDITED_FIELDS", "HIGH_BAND_LOWEST", "LOW_BAND_HIGHEST", "band_stream");
        scripts().forEach((name, script) -> {
            for (String defined : shared) {
                assertThat(script)
                        .as(name + " must not define its own " + defined)
                        .doesNotContain("local " + defined);
            }
        });
    }

    private static String protocolLua() {
        return ProtocolScripts.file("protocol.lua");
    }

    private static int luaInteger(String name) {
        Matcher value = Pattern.compile("local " + name + " = (\\d+)").matcher(protocolLua());
        assertThat(value.find()).as(name + " in protocol.lua").isTrue();
        return Integer.parseInt(value.group(1));
    }

    /** Every script but protocol.lua, by file name. */
    private static Map<String, String> scripts() {
        try (Stream<Path> files = Files.list(
                Path.of(LuaScript.class.getResource("protocol.lua").toURI()).getParent())) {
            return files.map(file -> file.getFileName().toString())
                    .filter(name -> name.endsWith(".lua") && !name.equals("protocol.lua"))
                    .collect(Collectors.toMap(name -> name, ProtocolScripts::file));
        } catch (IOException | URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The string literals of {@code lua}, outside comments (whose apostrophes are not quotes). */
    private static List<String> quoted(String lua) {
        List<String> literals = new ArrayList<>();
        Matcher matcher = QUOTED.matcher(lua.replaceAll("--[^\n]*", ""));
        while (matcher.find()) {
            literals.add(matcher.group(1));
        }
        return literals;
    }

    private static Set<String> wireFieldConstants() {
        Set<String> names = new TreeSet<>();
        for (Field field : WireFields.class.getFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getType() == String.class) {
                try {
                    names.add((String) field.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return names;
    }
}
