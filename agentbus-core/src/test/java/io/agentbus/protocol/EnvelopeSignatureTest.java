package io.agentbus.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The canonical form and signature of docs/PROTOCOL.md ("Signed envelopes"), checked against the test vector
 * printed there, which was computed by an independent implementation (Python's {@code hmac}); a Python or
 * Node agent checks its own implementation against the same vector.
 */
class EnvelopeSignatureTest {

    /** Bytes 0x00 to 0x1f. */
    static final String VECTOR_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    static final String VECTOR_SIG = "VJfb0uETJolrxb4WHrkVLlPMCnxytqYZUL1N++Ukg2U=";

    static final String VECTOR_CANONICAL = "agentbus-sig-v1\n"
            + "v 1 1\n"
            + "message_id 36 5b0c2f1e-0000-4000-8000-000000000001\n"
            + "from_agent 3 cmo\n"
            + "to_agent 10 copywriter\n"
            + "message_type 15 task_assignment\n"
            + "payload 38 {\"brief\":\"launch post\",\"budget_€\":3}\n"
            + "timestamp 20 2025-11-03T10:30:00Z\n"
            + "priority 1 5\n"
            + "reply_to -\n"
            + "correlation_id -\n"
            + "conversation_id 9 launch-42\n"
            + "expires_at -\n"
            + "kid 11 cmo-2026-01\n";

    static Map<String, String> vectorFields() {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("v", "1");
        fields.put("message_id", "5b0c2f1e-0000-4000-8000-000000000001");
        fields.put("from_agent", "cmo");
        fields.put("to_agent", "copywriter");
        fields.put("message_type", "task_assignment");
        fields.put("payload", "{\"brief\":\"launch post\",\"budget_€\":3}");
        fields.put("timestamp", "2025-11-03T10:30:00Z");
        fields.put("priority", "5");
        fields.put("conversation_id", "launch-42");
        fields.put("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"); // not covered
        fields.put("kid", "cmo-2026-01");
        return fields;
    }

    private static byte[] key() {
        return Base64.getDecoder().decode(VECTOR_KEY);
    }

    @Test
    void canonicalFormOfTheTestVectorIsTheDocumentedBytes() {
        byte[] canonical = EnvelopeSignature.canonical(vectorFields());

        assertThat(new String(canonical, StandardCharsets.UTF_8)).isEqualTo(VECTOR_CANONICAL);
        assertThat(canonical).hasSize(330); // the euro sign is 3 bytes: lengths count bytes, not characters
    }

    @Test
    void signatureOfTheTestVectorIsTheDocumentedOne() {
        assertThat(EnvelopeSignature.sign(vectorFields(), key())).isEqualTo(VECTOR_SIG);
        assertThat(EnvelopeSignature.verify(EnvelopeSignature.canonical(vectorFields()), VECTOR_SIG, key()))
                .isTrue();
    }

    @Test
    void docsPrintTheTestVector() throws Exception {
        String protocol = Files.readString(Path.of("..", "docs", "PROTOCOL.md"));

        assertThat(protocol).contains(VECTOR_KEY, VECTOR_SIG, "5b0c2f1e-0000-4000-8000-000000000001");
        for (String line : VECTOR_CANONICAL.split("\n")) {
            assertThat(protocol).contains(line);
        }
    }

    @Test
    void fieldsOutsideTheCoveredListDoNotChangeTheSignature() {
        Map<String, String> fields = vectorFields();
        fields.put("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        fields.put("sig", "anything");
        fields.put("escalation_path", "a>b");

        assertThat(EnvelopeSignature.sign(fields, key())).isEqualTo(VECTOR_SIG);
    }

    @Test
    void everyCoveredFieldChangesTheSignature() {
        for (String name : EnvelopeSignature.COVERED_FIELDS) {
            Map<String, String> changed = vectorFields();
            changed.put(name, changed.containsKey(name) ? changed.get(name) + "x" : "x");
            if (name.equals("kid")) {
                changed.put(name, "cmo-2026-02");
            }

            assertThat(EnvelopeSignature.sign(changed, key())).as(name).isNotEqualTo(VECTOR_SIG);
        }
    }

    @Test
    void anAbsentFieldDiffersFromAnEmptyOne() {
        Map<String, String> empty = vectorFields();
        empty.put("reply_to", "");

        assertThat(EnvelopeSignature.sign(empty, key())).isNotEqualTo(VECTOR_SIG);
    }

    @Test
    void lengthPrefixesKeepValuesFromBleedingIntoEachOther() {
        Map<String, String> a = vectorFields();
        a.put("correlation_id", "x\nconversation_id 1 y");
        a.remove("conversation_id");
        Map<String, String> b = vectorFields();
        b.put("correlation_id", "x");
        b.put("conversation_id", "y");

        assertThat(EnvelopeSignature.sign(a, key())).isNotEqualTo(EnvelopeSignature.sign(b, key()));
    }

    @Test
    void verifyRefusesGarbageSignaturesWithoutThrowing() {
        byte[] canonical = EnvelopeSignature.canonical(vectorFields());

        assertThat(EnvelopeSignature.verify(canonical, "not base64!", key())).isFalse();
        assertThat(EnvelopeSignature.verify(canonical, "", key())).isFalse();
        assertThat(EnvelopeSignature.verify(canonical, VECTOR_SIG.substring(4), key()))
                .isFalse();
    }

    @Test
    void shortKeysAndBadKeyIdsAreRefusedNamingTheRule() {
        assertThatThrownBy(() -> EnvelopeSignature.mac(new byte[] {1}, new byte[16]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 32 bytes, was 16 bytes");
        Map<String, String> noKid = vectorFields();
        noKid.put("kid", "bad kid");
        assertThatThrownBy(() -> EnvelopeSignature.sign(noKid, key()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("key id 'bad kid'");
    }
}
