package io.agentbus;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AgentStatusTest {

    @Test
    void aBusyHealthyAgentWithPendingWorkIsOk() {
        assertThat(AgentStatus.of(inbox(0, 5, 0), true, false)).isEqualTo(AgentStatus.OK);
    }

    @Test
    void unreadWithNoRunningInstanceIsBacklogButNotWhileOneRuns() {
        assertThat(AgentStatus.of(inbox(3, 0, 0), false, false)).isEqualTo(AgentStatus.BACKLOG);
        assertThat(AgentStatus.of(inbox(3, 0, 0), true, false)).isEqualTo(AgentStatus.OK);
    }

    @Test
    void stuckComesBeforeBacklogAndBacklogBeforeFailing() {
        assertThat(AgentStatus.of(inbox(3, 2, 2), false, true)).isEqualTo(AgentStatus.STUCK);
        assertThat(AgentStatus.of(inbox(3, 0, 0), false, true)).isEqualTo(AgentStatus.BACKLOG);
        assertThat(AgentStatus.of(inbox(0, 0, 0), true, true)).isEqualTo(AgentStatus.FAILING);
    }

    @Test
    void nothingToDoAndNothingRunningIsIdle() {
        assertThat(AgentStatus.of(inbox(0, 0, 0), false, false)).isEqualTo(AgentStatus.IDLE);
        assertThat(AgentStatus.IDLE.label()).isEqualTo("idle");
    }

    @Test
    void deadLettersRiseOnTheCountersSoAPurgeDoesNotHideThem() {
        InboxStats before = inbox(0, 0, 0);
        InboxStats purgedThenOneMore = new InboxStats(
                before.agent(),
                0,
                0,
                List.of(),
                Optional.empty(),
                true,
                0,
                0,
                new InboxStats.Counters(1, 0, 0, 0, 1, 0, 0),
                0,
                Optional.empty(),
                0);

        assertThat(AgentStatus.deadLettersRose(before, purgedThenOneMore)).isTrue();
        assertThat(AgentStatus.deadLettersRose(purgedThenOneMore, purgedThenOneMore))
                .isFalse();
    }

    private static InboxStats inbox(long unread, long pending, long overdue) {
        return new InboxStats(
                AgentId.of("worker"),
                unread + pending,
                pending,
                List.of(new InboxStats.ConsumerStats("c1", pending, Duration.ZERO, true)),
                Optional.empty(),
                true,
                0,
                0,
                new InboxStats.Counters(0, 0, 0, 0, 0, 0, 0),
                unread,
                Optional.empty(),
                overdue);
    }
}
