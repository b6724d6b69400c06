package io.agentbus.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentbus.AgentBusException;
import io.agentbus.BusAuthException;
import io.agentbus.BusUnavailableException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RedisErrorsTest {

    @Test
    void anAgentBusExceptionIsReturnedAsItIs() {
        AgentBusException known = new BusUnavailableException("already mapped", null);

        AgentBusException mapped = RedisErrors.map(new CompletionException(known), "send");

        assertThat(mapped).isSameAs(known);
    }

    @Test
    void aCommandTimeoutIsBusUnavailableNamingTheActionAndKeepingTheCause() {
        RedisCommandTimeoutException timeout = new RedisCommandTimeoutException("Command timed out after 1 second");

        AgentBusException mapped = RedisErrors.map(timeout, "send to analyst");

        assertThat(mapped)
                .isInstanceOf(BusUnavailableException.class)
                .hasMessage("send to analyst: Command timed out after 1 second")
                .hasCause(timeout);
    }

    @Test
    void aConnectionFailureOrAnIoErrorIsBusUnavailable() {
        RedisConnectionException refused = new RedisConnectionException("Unable to connect to 127.0.0.1:1");
        IOException reset = new IOException("Connection reset by peer");

        assertThat(RedisErrors.map(refused, "connect")).isInstanceOf(BusUnavailableException.class);
        assertThat(RedisErrors.map(reset, "read")).isInstanceOf(BusUnavailableException.class);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "NOAUTH Authentication required.",
                "WRONGPASS invalid username-password pair",
                "NOPERM this user has no permissions to run the 'xadd' command",
                "ERR AUTH <password> called without any password configured"
            })
    void anAuthenticationOrPermissionErrorReplyIsBusAuthException(String reply) {
        RedisCommandExecutionException error = new RedisCommandExecutionException(reply);

        AgentBusException mapped = RedisErrors.map(error, "send");

        assertThat(mapped).isInstanceOf(BusAuthException.class).hasCause(error);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "Connection closed",
                "Currently not connected. Commands are rejected.",
                "Request queue size exceeded: 1000. Commands are not accepted",
                "Connection is closed"
            })
    void lettucesRefusalsWhileDisconnectedOrOverloadedAreBusUnavailable(String message) {
        RedisException refusal = new RedisException(message);

        AgentBusException mapped = RedisErrors.map(refusal, "send");

        assertThat(mapped).isInstanceOf(BusUnavailableException.class).hasCause(refusal);
    }

    @Test
    void anyOtherErrorIsAPlainAgentBusExceptionKeepingTheCause() {
        RedisCommandExecutionException wrongType =
                new RedisCommandExecutionException("WRONGTYPE Operation against a key holding the wrong kind of value");

        AgentBusException mapped = RedisErrors.map(wrongType, "send");

        assertThat(mapped).isExactlyInstanceOf(AgentBusException.class).hasCause(wrongType);
    }

    @Test
    void completionAndExecutionWrappersAreTakenOffBeforeMapping() {
        RedisCommandTimeoutException timeout = new RedisCommandTimeoutException("timed out");
        Throwable wrapped = new CompletionException(new ExecutionException(timeout));

        AgentBusException mapped = RedisErrors.map(wrapped, "ack");

        assertThat(mapped).isInstanceOf(BusUnavailableException.class).hasCause(timeout);
    }

    @Test
    void aMappedStageFailsWithTheMappedErrorAndPassesValuesThrough() {
        CompletionStage<String> failing =
                CompletableFuture.failedFuture(new RedisConnectionException("Connection refused"));
        CompletionStage<String> succeeding = CompletableFuture.completedFuture("1-0");

        CompletableFuture<String> failed = RedisErrors.mapped(failing, "send").toCompletableFuture();
        CompletableFuture<String> passed =
                RedisErrors.mapped(succeeding, "send").toCompletableFuture();

        assertThatThrownBy(failed::join).hasCauseInstanceOf(BusUnavailableException.class);
        assertThat(passed.join()).isEqualTo("1-0");
    }

    @Test
    void hasErrorCodeFindsAnErrorReplyWithThatCodeAmongTheCauses() {
        Throwable busyGroup = new CompletionException(
                new RedisCommandExecutionException("BUSYGROUP Consumer Group name already exists"));

        assertThat(RedisErrors.hasErrorCode(busyGroup, "BUSYGROUP")).isTrue();
        assertThat(RedisErrors.hasErrorCode(busyGroup, "NOGROUP")).isFalse();
    }

    @Test
    void hasErrorCodeLooksOnlyAtErrorRepliesFromRedis() {
        Throwable notAReply = new RedisException("BUSYGROUP in the text of a client-side error");

        boolean found = RedisErrors.hasErrorCode(notAReply, "BUSYGROUP");

        assertThat(found).isFalse();
    }
}
