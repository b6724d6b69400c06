package io.agentbus.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BusUriTest {

    @Test
    void standaloneUriKeepsHostPortAndDatabase() {
        BusUri uri = BusUri.parse("redis://user:secret@redis.internal:6380/2");

        assertThat(uri.mode()).isEqualTo(BusUri.Mode.STANDALONE);
        assertThat(uri.nodes().get(0).getHost()).isEqualTo("redis.internal");
        assertThat(uri.nodes().get(0).getPort()).isEqualTo(6380);
        assertThat(uri.nodes().get(0).getDatabase()).isEqualTo(2);
    }

    @Test
    void sentinelAndClusterUrisAreParsed() {
        BusUri sentinel = BusUri.parse("redis-sentinel://127.0.0.1:26379,127.0.0.1:26380#mymaster");
        BusUri cluster = BusUri.parse("redis-cluster://:pw@10.0.0.1:7000,10.0.0.2:7001");

        assertThat(sentinel.mode()).isEqualTo(BusUri.Mode.SENTINEL);
        assertThat(sentinel.nodes().get(0).getSentinelMasterId()).isEqualTo("mymaster");
        assertThat(cluster.mode()).isEqualTo(BusUri.Mode.CLUSTER);
        assertThat(cluster.nodes())
                .extracting(node -> node.getHost() + ":" + node.getPort())
                .containsExactly("10.0.0.1:7000", "10.0.0.2:7001");
        assertThat(cluster.nodes().get(1).toString()).doesNotContain("pw");
    }

    @Test
    void passwordsAreMaskedInMessages() {
        assertThat(BusUri.masked("redis://user:secret@host:6379")).isEqualTo("redis://user:***@host:6379");
        assertThatThrownBy(() -> BusUri.parse("ftp://user:secret@host"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("secret");
    }

    @Test
    void theMaskNeverTellsThePasswordsLength() {
        assertThat(BusUri.masked("redis://:secret@host:6379")).isEqualTo("redis://:***@host:6379");
        assertThat(BusUri.masked("redis://a-much-longer-secret@host")).isEqualTo("redis://***@host");
        assertThat(BusUri.parse("redis://:secret@host:6379").shown()).isEqualTo("redis://***@host");
        assertThat(BusUri.parse("rediss://bob:a-much-longer-secret@host:6380/2").shown())
                .isEqualTo("rediss://bob:***@host:6380/2");
        assertThat(BusUri.masked("redis://host:6379")).isEqualTo("redis://host:6379");
    }

    @Test
    void aPortThatIsNotANumberIsRefusedNamingIt() {
        assertThatThrownBy(() -> BusUri.parse("redis://127.0.0.1:abc"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the port of '127.0.0.1:abc' must be a number from 1 to 65535, was 'abc'");
        assertThatThrownBy(() -> BusUri.parse("redis-sentinel://h1:26379,h2:70000#mymaster"))
                .hasMessageContaining("was '70000'");
        assertThatThrownBy(() -> BusUri.parse("redis://user:secret@host:/0"))
                .hasMessageContaining("was ''")
                .hasMessageNotContaining("secret");
    }

    @Test
    void bracketedIpv6HostsAndDefaultPortsAreAccepted() {
        assertThat(BusUri.parse("redis://[::1]:6380").nodes().get(0).getPort()).isEqualTo(6380);
        assertThat(BusUri.parse("redis://[::1]").nodes().get(0).getPort()).isEqualTo(6379);
        assertThat(BusUri.parse("redis://localhost/2").nodes().get(0).getPort()).isEqualTo(6379);
    }
}
