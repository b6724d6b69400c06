package io.agentbus.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RedisVersionTest {

    @Test
    void parsesAndComparesVersions() {
        RedisVersion embedded = RedisVersion.parse("6.2.11");
        RedisVersion machine = RedisVersion.parse("Redis server v=7.0.15 sha=00000000:0");

        assertThat(machine).isEqualTo(new RedisVersion(7, 0, 15));
        assertThat(embedded).isGreaterThan(RedisVersion.MINIMUM).isLessThan(machine);
        assertThat(embedded.atLeast(6, 2)).isTrue();
        assertThat(embedded.atLeast(7, 0)).isFalse();
        assertThat(RedisVersion.parse("7.2")).isEqualTo(new RedisVersion(7, 2, 0));
    }
}
