package io.agentbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The key document of docs/SECURITY.md and SigningOptions' rules. */
class SigningKeysTest {

    private static final String K1 = Base64.getEncoder().encodeToString(new byte[32]);
    private static final String K2 = Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes());

    private static String document(String cmo) {
        return "{\"cmo\": " + cmo + ", \"copywriter\": {\"keys\": {\"cw-1\": \"" + K2 + "\"}}}";
    }

    @Test
    void aDocumentGivesKeysOwnersAndTheKeyToSignWith() {
        SigningKeys keys = SigningKeys.parse(document(
                "{\"sign_with\": \"cmo-2\", \"keys\": {\"cmo-1\": \"" + K1 + "\", \"cmo-2\": \"" + K2 + "\"}}"));

        assertThat(keys.signingKey(AgentId.of("cmo")).orElseThrow().kid()).isEqualTo("cmo-2");
        assertThat(keys.signingKey(AgentId.of("copywriter")).orElseThrow().kid())
                .isEqualTo("cw-1");
        assertThat(keys.key(AgentId.of("cmo"), "cmo-1")).isPresent();
        assertThat(keys.key(AgentId.of("cmo"), "cw-1")).isEmpty();
        assertThat(keys.ownerOf("cw-1")).contains(AgentId.of("copywriter"));
        assertThat(keys.toString()).doesNotContain(K1, K2);
    }

    @Test
    void anAgentWithTwoKeysAndNoSignWithOnlyVerifies() {
        SigningKeys keys =
                SigningKeys.parse(document("{\"keys\": {\"cmo-1\": \"" + K1 + "\", \"cmo-2\": \"" + K2 + "\"}}"));

        assertThat(keys.signingKey(AgentId.of("cmo"))).isEmpty();
        assertThat(keys.key(AgentId.of("cmo"), "cmo-2")).isPresent();
    }

    @Test
    void badDocumentsAreRefusedNamingAgentAndKey() {
        assertThatThrownBy(() -> SigningKeys.parse(document("{\"keys\": {\"cmo-1\": \"AAAA\"}}")))
                .hasMessageContaining("agent cmo, key cmo-1: a signing key must be at least 32 bytes");
        assertThatThrownBy(() -> SigningKeys.parse(document("{\"keys\": {\"cmo-1\": \"not base64!\"}}")))
                .hasMessageContaining("agent cmo, key cmo-1: not standard base64");
        assertThatThrownBy(() -> SigningKeys.parse(document("{\"keys\": {\"cw-1\": \"" + K1 + "\"}}")))
                .hasMessageContaining("key id cw-1 is already");
        assertThatThrownBy(() -> SigningKeys.parse(
                        document("{\"sign_with\": \"cmo-9\", \"keys\": {\"cmo-1\": \"" + K1 + "\"}}")))
                .hasMessageContaining("sign_with names key cmo-9");
        assertThatThrownBy(() -> SigningKeys.parse("[1]")).hasMessageContaining("JSON object of agents");
    }

    @Test
    void aKeyFileIsReadAgainWhenItChanges(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("keys.json");
        Files.writeString(file, document("{\"keys\": {\"cmo-1\": \"" + K1 + "\"}}"));
        SigningKeys keys = new KeyFile(file, 0);
        assertThat(keys.signingKey(AgentId.of("cmo")).orElseThrow().kid()).isEqualTo("cmo-1");

        Files.writeString(
                file,
                document("{\"sign_with\": \"cmo-2\", \"keys\": {\"cmo-1\": \"" + K1 + "\", \"cmo-2\": \"" + K2
                        + "\"}}"));
        Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 5_000));

        assertThat(keys.signingKey(AgentId.of("cmo")).orElseThrow().kid()).isEqualTo("cmo-2");
        Files.writeString(file, "{ half written");
        Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 10_000));
        assertThat(keys.signingKey(AgentId.of("cmo")).orElseThrow().kid())
                .as("a broken rewrite keeps the keys read before")
                .isEqualTo("cmo-2");
    }

    @Test
    void signingWithoutKeysOrWithAMaxAgeBeyondTheDedupWindowIsRefused() {
        assertThatThrownBy(() -> SigningOptions.builder().sign(true).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("signing keys are required to sign");
        SigningKeys keys =
                SigningKeys.builder().key("cmo", "cmo-1", new byte[32]).build();
        assertThatThrownBy(() -> BusOptions.builder()
                        .send(SendOptions.builder()
                                .dedupWindow(Duration.ofMinutes(1))
                                .build())
                        .signing(SigningOptions.signAndVerify(keys))
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("signing maxAge PT5M must not exceed the dedup window PT1M");
        assertThat(BusOptions.defaults().signing().enabled()).isFalse();
    }
}
