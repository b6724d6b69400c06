package io.agentbus.testkit;

import io.agentbus.embedded.RedisClusterNodes;
import io.agentbus.embedded.RedisSentinelGroup;
import java.lang.reflect.AnnotatedElement;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Starts a {@link RedisSentinelGroup} or a {@link RedisClusterNodes} for a test class, when a test
 * first asks for one as a parameter, and kills its processes when the class is done (or the JVM exits):
 *
 * <pre>{@code
 * @ExtendWith(RedisTopologyExtension.class)
 * class FailoverIT {
 *     @Test
 *     void followsPromotion(RedisSentinelGroup group) {
 *         try (AgentBus bus = AgentBus.connect(group.uri())) { ... }
 *     }
 * }
 * }</pre>
 *
 * <p>Like {@link RedisServerExtension}, it reads the class's {@link RedisServerConfig}: the binary
 * ({@code BUNDLED} runs the topology on Redis 6.2), extra arguments for the data nodes, and
 * {@code perTest} for a fresh topology per test method, which a test that kills nodes usually wants.
 */
public final class RedisTopologyExtension implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(RedisTopologyExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == RedisSentinelGroup.class || type == RedisClusterNodes.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        RedisServerConfig config = config(context.getRequiredTestClass());
        ExtensionContext owner = config.perTest() ? context : classContext(context);
        // The store closes AutoCloseable values when its context ends: the class, or the test.
        return owner.getStore(NAMESPACE).getOrComputeIfAbsent(type, key -> start(type, config));
    }

    private static Object start(Class<?> type, RedisServerConfig config) {
        if (type == RedisSentinelGroup.class) {
            return RedisSentinelGroup.builder()
                    .binary(config.binary())
                    .args(config.args())
                    .start();
        }
        return RedisClusterNodes.builder()
                .binary(config.binary())
                .args(config.args())
                .start();
    }

    private static ExtensionContext classContext(ExtensionContext context) {
        ExtensionContext current = context;
        while (current.getTestMethod().isPresent() && current.getParent().isPresent()) {
            current = current.getParent().get();
        }
        return current;
    }

    private static RedisServerConfig config(AnnotatedElement testClass) {
        RedisServerConfig config = testClass.getAnnotation(RedisServerConfig.class);
        return config != null ? config : Defaults.class.getAnnotation(RedisServerConfig.class);
    }

    @RedisServerConfig
    private static final class Defaults {}
}
