package io.agentbus.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentbus.AgentId;
import io.agentbus.RecipientUnavailableException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CircuitBreakersTest {

    private static final Duration COOL_DOWN = Duration.ofSeconds(30);
    private static final AgentId ANALYST = AgentId.of("analyst");
    private static final AgentId WRITER = AgentId.of("writer");

    private final AtomicLong now = new AtomicLong();
    private final CircuitBreakers circuits = new CircuitBreakers(3, COOL_DOWN, now::get);

    @Test
    void aDestinationIsAdmittedWhileItsFailuresInARowStayBelowTheThreshold() {
        failTimes(ANALYST, 2);

        assertThatCode(() -> circuits.admit(ANALYST)).doesNotThrowAnyException();
        assertThat(circuits.isOpen(ANALYST)).isFalse();
    }

    @Test
    void thresholdFailuresInARowOpenTheCircuitAndRequestsFailAtOnceNamingTheDestination() {
        failTimes(ANALYST, 3);

        assertThat(circuits.isOpen(ANALYST)).isTrue();
        assertThatThrownBy(() -> circuits.admit(ANALYST))
                .isInstanceOf(RecipientUnavailableException.class)
                .hasFieldOrPropertyWithValue("reason", RecipientUnavailableException.Reason.CIRCUIT_OPEN)
                .hasMessageContaining("analyst")
                .hasMessageContaining("after 3 failed requests")
                .hasMessageContaining("next probe in 30000 ms");
    }

    @Test
    void theOpenCircuitSaysHowLongIsLeftOfTheCoolDown() {
        failTimes(ANALYST, 3);

        now.addAndGet(Duration.ofSeconds(20).toNanos());

        assertThatThrownBy(() -> circuits.admit(ANALYST)).hasMessageContaining("next probe in 10000 ms");
    }

    @Test
    void aSuccessStartsTheCountOfFailuresInARowAgain() {
        failTimes(ANALYST, 2);

        circuits.succeeded(ANALYST);
        failTimes(ANALYST, 2);

        assertThatCode(() -> circuits.admit(ANALYST)).doesNotThrowAnyException();
    }

    @Test
    void afterTheCoolDownOneProbeGoesThroughAndTheOthersFailFastWhileItIsOut() {
        failTimes(ANALYST, 3);

        now.addAndGet(COOL_DOWN.toNanos());

        assertThatCode(() -> circuits.admit(ANALYST)).doesNotThrowAnyException();
        assertThat(circuits.isOpen(ANALYST)).isTrue();
        assertThatThrownBy(() -> circuits.admit(ANALYST)).isInstanceOf(RecipientUnavailableException.class);
    }

    @Test
    void aSuccessfulProbeClosesTheCircuit() {
        failTimes(ANALYST, 3);
        now.addAndGet(COOL_DOWN.toNanos());
        circuits.admit(ANALYST);

        circuits.succeeded(ANALYST);

        assertThat(circuits.isOpen(ANALYST)).isFalse();
        assertThatCode(() -> circuits.admit(ANALYST)).doesNotThrowAnyException();
        assertThatCode(() -> circuits.admit(ANALYST)).doesNotThrowAnyException();
    }

    @Test
    void aFailedProbeOpensTheCircuitForAnotherCoolDown() {
        failTimes(ANALYST, 3);
        now.addAndGet(COOL_DOWN.toNanos());
        circuits.admit(ANALYST);

        circuits.failed(ANALYST);

        assertThat(circuits.isOpen(ANALYST)).isTrue();
        assertThatThrownBy(() -> circuits.admit(ANALYST)).hasMessageContaining("next probe in 30000 ms");
    }

    @Test
    void isOpenAfterTheCoolDownLeavesTheProbeToTheNextRequest() {
        failTimes(ANALYST, 3);
        now.addAndGet(COOL_DOWN.toNanos());

        boolean open = circuits.isOpen(ANALYST);

        assertThat(open).isFalse();
        assertThatCode(() -> circuits.admit(ANALYST)).doesNotThrowAnyException();
    }

    @Test
    void eachDestinationHasItsOwnCircuit() {
        failTimes(ANALYST, 3);

        boolean writerOpen = circuits.isOpen(WRITER);

        assertThat(writerOpen).isFalse();
        assertThatCode(() -> circuits.admit(WRITER)).doesNotThrowAnyException();
    }

    @Test
    void aThresholdOfZeroTurnsCircuitBreakingOff() {
        CircuitBreakers off = new CircuitBreakers(0, COOL_DOWN, now::get);

        for (int i = 0; i < 100; i++) {
            off.failed(ANALYST);
        }

        assertThat(off.isOpen(ANALYST)).isFalse();
        assertThatCode(() -> off.admit(ANALYST)).doesNotThrowAnyException();
    }

    private void failTimes(AgentId to, int times) {
        for (int i = 0; i < times; i++) {
            circuits.admit(to);
            circuits.failed(to);
        }
    }
}
