package io.agentbus;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.util.Arrays;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

class SyncAgentBusTest {

    @Test
    void everyAsynchronousMethodOfTheBusHasABlockingTwin() throws Exception {
        Method[] asynchronous = Arrays.stream(AgentBus.class.getMethods())
                .filter(method -> method.getReturnType() == CompletionStage.class)
                .toArray(Method[]::new);

        assertThat(asynchronous).hasSizeGreaterThanOrEqualTo(7);
        for (Method async : asynchronous) {
            Method blocking = SyncAgentBus.class.getMethod(async.getName(), async.getParameterTypes());
            Object result = ((ParameterizedType) async.getGenericReturnType()).getActualTypeArguments()[0];
            assertThat(blocking.getGenericReturnType())
                    .as("sync().%s", async.getName())
                    .isEqualTo(result);
        }
    }
}
