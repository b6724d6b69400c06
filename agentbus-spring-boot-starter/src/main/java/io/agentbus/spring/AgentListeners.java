package io.agentbus.spring;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.Subscription;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.EnvironmentAware;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.env.Environment;

/**
 * The {@link AgentListener} methods of the application: found on each bean as it is initialized, subscribed
 * when the context starts, closed when it stops.
 *
 * <p>Shutdown order: this lifecycle's phase ({@link #PHASE}) is high, so it stops before the other lifecycles
 * of the context (the web server among them), and every lifecycle stops before any bean is destroyed. Stopping
 * closes each subscription, in parallel: it stops reading, lets the deliveries it was given finish within
 * {@code agentbus.consumer.shutdown-timeout} (a handler may still send meanwhile) and acknowledges them. The
 * bus is closed later, when its bean is destroyed. What a subscription had read but not handled in time stays
 * pending in Redis, and another instance reclaims it after the visibility timeout: nothing is lost.
 *
 * <p>The bus and the ObjectMapper are looked up only at start: a bean post-processor is created before the
 * other beans, and asking for them here would create them too early (before the meter registry is set up).
 */
final class AgentListeners implements BeanPostProcessor, SmartLifecycle, EnvironmentAware {

    /** As Spring's own message listener containers: stop early, before the beans handlers may use. */
    static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 100;

    private static final Logger log = LoggerFactory.getLogger(AgentListeners.class);

    private final ObjectProvider<AgentBus> bus;
    private final ObjectProvider<ObjectMapper> objectMapper;
    private final List<ListenerMethod> methods = new CopyOnWriteArrayList<>();
    private final List<Subscription> running = new CopyOnWriteArrayList<>();
    private Environment environment;

    AgentListeners(ObjectProvider<AgentBus> bus, ObjectProvider<ObjectMapper> objectMapper) {
        this.bus = bus;
        this.objectMapper = objectMapper;
    }

    @Override
    public void setEnvironment(Environment environment) {
        this.environment = environment;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        Class<?> type = AopUtils.getTargetClass(bean);
        Map<Method, AgentListener> annotated =
                MethodIntrospector.selectMethods(type, (MethodIntrospector.MetadataLookup<AgentListener>)
                        method -> AnnotatedElementUtils.findMergedAnnotation(method, AgentListener.class));
        annotated.forEach((method, listener) -> methods.add(
                ListenerMethod.of(bean, beanName, method, environment.resolveRequiredPlaceholders(listener.agent()))));
        return bean;
    }

    /** The agents this application listens as, in the order their methods were found. */
    Set<AgentId> agents() {
        Set<AgentId> agents = new LinkedHashSet<>();
        methods.forEach(method -> agents.add(method.agent()));
        return agents;
    }

    @Override
    public synchronized void start() {
        if (methods.isEmpty() || !running.isEmpty()) {
            return;
        }
        AgentBus agentBus = bus.getObject();
        ObjectMapper mapper = objectMapper.getIfAvailable(ObjectMapper::new);
        for (ListenerMethod method : methods) {
            running.add(agentBus.subscribe(method.agent(), method.handler(mapper)));
            log.info("@AgentListener {} subscribed", method);
        }
    }

    @Override
    public synchronized void stop() {
        log.info("closing {} @AgentListener subscriptions", running.size());
        List<Thread> closing = new ArrayList<>();
        for (Subscription subscription : running) {
            Thread closer = new Thread(subscription::close, "agentbus-close-" + subscription.consumer());
            closer.start();
            closing.add(closer);
        }
        boolean interrupted = false;
        for (Thread closer : closing) {
            while (closer.isAlive()) {
                try {
                    closer.join();
                } catch (InterruptedException e) {
                    // Finish closing anyway: returning early would let the bus close under running handlers.
                    interrupted = true;
                }
            }
        }
        running.clear();
        log.info("@AgentListener subscriptions closed");
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean isRunning() {
        return !running.isEmpty();
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
