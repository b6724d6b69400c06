package io.agentbus.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.SigningKeys;
import io.agentbus.SigningOptions;
import io.agentbus.deadletter.DeadLetterReason;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The bus's signature rules over the wire fields: who signs, who owns a key, the timestamp window. */
class MessageSignaturesTest {

    private static final Instant NOW = Instant.parse("2026-12-02T10:00:00Z");
    private static final SigningKeys KEYS = SigningKeys.builder()
            .key("cmo", "cmo-1", filled(1))
            .key("cmo", "cmo-2", filled(2))
            .signWith("cmo", "cmo-2")
            .key("intern", "intern-1", filled(3))
            .build();
    private static final MessageSignatures SIGNATURES = new MessageSignatures(SigningOptions.signAndVerify(KEYS));

    @Test
    void aSignedEntryPasses() {
        Map<String, String> fields = signed(task("cmo").build());

        assertThat(fields).containsEntry("kid", "cmo-2").containsKey("sig");
        assertThat(check(fields)).isNull();
    }

    @Test
    void anUnsignedEntryIsRefused() {
        assertBad(EnvelopeCodec.encode(task("cmo").build()), "sig", "is missing");
    }

    @Test
    void aChangedPayloadIsRefused() {
        Map<String, String> fields = signed(task("cmo").build());
        fields.put("payload", "{\"brief\":\"wire the money\"}");

        assertBad(fields, "sig", "does not match");
    }

    @Test
    void aKeyOfAnotherAgentIsRefusedNamingItsOwner() {
        Map<String, String> fields = signed(task("intern").build());
        fields.put("from_agent", "cmo"); // the intern signs in the cmo's name with its own key

        assertBad(fields, "kid", "key intern-1 belongs to intern, not to from_agent cmo");
    }

    @Test
    void anUnknownKeyIdIsRefused() {
        Map<String, String> fields = signed(task("cmo").build());
        fields.put("kid", "cmo-9");

        assertBad(fields, "kid", "key cmo-9 is not a known key of from_agent cmo");
    }

    @Test
    void anOldTimestampIsRefusedAsAReplay() {
        Map<String, String> fields =
                signed(task("cmo").timestamp(NOW.minus(Duration.ofMinutes(6))).build());

        assertBad(fields, "timestamp", "older than maxAge PT5M");
    }

    @Test
    void aTimestampFarAheadIsRefused() {
        Map<String, String> fields =
                signed(task("cmo").timestamp(NOW.plusSeconds(31)).build());

        assertBad(fields, "timestamp", "ahead of this clock");
    }

    @Test
    void theOldKeyStillVerifiesDuringARotation() {
        MessageSignatures before = new MessageSignatures(SigningOptions.signAndVerify(
                SigningKeys.builder().key("cmo", "cmo-1", filled(1)).build()));
        Map<String, String> fields =
                before.sign(EnvelopeCodec.encode(task("cmo").build()), AgentId.of("cmo"));

        assertThat(fields).containsEntry("kid", "cmo-1");
        assertThat(check(fields)).isNull();
    }

    @Test
    void sendingFromAnAgentWithoutASigningKeyFails() {
        assertThatThrownBy(() -> signed(task("stranger").build()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot sign a message from stranger");
    }

    @Test
    void nothingIsCheckedWhenSignaturesAreNotRequired() {
        MessageSignatures signOnly = new MessageSignatures(
                SigningOptions.builder().keys(KEYS).sign(true).build());

        assertThat(signOnly.check(
                        body(EnvelopeCodec.encode(task("cmo").build())),
                        task("cmo").build(),
                        NOW))
                .isNull();
    }

    private static Envelope.Builder task(String from) {
        return Envelope.builder()
                .from(from)
                .to("copywriter")
                .type("task")
                .payload("{\"brief\":\"launch\"}")
                .timestamp(NOW);
    }

    private static Map<String, String> signed(Envelope envelope) {
        return new LinkedHashMap<>(SIGNATURES.sign(EnvelopeCodec.encode(envelope), envelope.fromAgent()));
    }

    private static EnvelopeCodec.Malformed check(Map<String, String> fields) {
        EnvelopeCodec.Valid valid = (EnvelopeCodec.Valid) EnvelopeCodec.decodeText(new LinkedHashMap<>(fields));
        return SIGNATURES.check(body(fields), valid.envelope(), NOW);
    }

    private static void assertBad(Map<String, String> fields, String field, String detail) {
        assertThat(check(fields)).satisfies(bad -> {
            assertThat(bad.reason()).isEqualTo(DeadLetterReason.BAD_SIGNATURE);
            assertThat(bad.field()).isEqualTo(field);
            assertThat(bad.detail()).contains(detail);
        });
    }

    private static Map<String, byte[]> body(Map<String, String> fields) {
        Map<String, byte[]> body = new LinkedHashMap<>();
        fields.forEach((name, value) -> body.put(name, value.getBytes(StandardCharsets.UTF_8)));
        return body;
    }

    private static byte[] filled(int value) {
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) value);
        return key;
    }
}
