package io.agentbus.spring;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.AgentId;
import io.agentbus.Delivery;
import io.agentbus.Envelope;
import io.agentbus.InvalidEnvelopeException;
import io.agentbus.MessageHandler;
import io.agentbus.NonRetryableException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.springframework.aop.support.AopUtils;
import org.springframework.util.ReflectionUtils;

/**
 * One {@link AgentListener} method of one bean, as a {@link MessageHandler}: it turns the delivery into the
 * method's argument, calls the method, and turns what the method did into the delivery's outcome.
 */
final class ListenerMethod {

    private final Object bean;
    private final Method method;
    private final AgentId agent;

    private ListenerMethod(Object bean, Method method, AgentId agent) {
        this.bean = bean;
        this.method = method;
        this.agent = agent;
    }

    /**
     * Checks the method's shape now, at start-up, so that a mistake fails the application and not each message.
     *
     * @throws IllegalStateException naming the bean and method, if it does not take exactly one parameter or the
     *                               agent id is invalid
     */
    static ListenerMethod of(Object bean, String beanName, Method method, String agent) {
        String where = "@AgentListener method " + method.getDeclaringClass().getName() + "." + method.getName()
                + " of bean '" + beanName + "'";
        if (method.getParameterCount() != 1) {
            throw new IllegalStateException(where + " must take exactly one parameter (Delivery, Envelope, String or"
                    + " a payload type), but takes " + method.getParameterCount());
        }
        AgentId agentId;
        try {
            agentId = AgentId.of(agent);
        } catch (InvalidEnvelopeException e) {
            throw new IllegalStateException(where + " names an invalid agent: " + e.getMessage(), e);
        }
        Method invocable = AopUtils.selectInvocableMethod(method, bean.getClass());
        ReflectionUtils.makeAccessible(invocable);
        return new ListenerMethod(bean, invocable, agentId);
    }

    AgentId agent() {
        return agent;
    }

    /** The handler to subscribe, reading payloads with {@code mapper}. */
    MessageHandler handler(ObjectMapper mapper) {
        Function<Delivery, Object> argument = argument(mapper);
        return delivery -> {
            Object result = invoke(argument.apply(delivery));
            if (result instanceof CompletionStage<?> work) {
                delivery.ackWhen(work);
            }
        };
    }

    private Function<Delivery, Object> argument(ObjectMapper mapper) {
        Class<?> type = method.getParameterTypes()[0];
        if (type == Delivery.class) {
            return delivery -> delivery;
        }
        if (type == Envelope.class) {
            return Delivery::envelope;
        }
        if (type == String.class) {
            return delivery -> delivery.envelope().payload();
        }
        JavaType payloadType = mapper.constructType(method.getGenericParameterTypes()[0]);
        return delivery -> {
            Envelope envelope = delivery.envelope();
            try {
                return mapper.readValue(envelope.payload(), payloadType);
            } catch (JsonProcessingException e) {
                throw new NonRetryableException(
                        "payload of message " + envelope.messageId().value() + " (" + envelope.messageType()
                                + ") cannot be read as " + payloadType + ": " + e.getOriginalMessage(),
                        e);
            }
        };
    }

    private Object invoke(Object argument) throws Exception {
        try {
            return method.invoke(bean, argument);
        } catch (InvocationTargetException e) {
            // The method's own exception is the handler's failure, as if the method were the handler.
            Throwable failure = e.getCause();
            if (failure instanceof Exception exception) {
                throw exception;
            }
            throw (Error) failure;
        }
    }

    @Override
    public String toString() {
        return method.getDeclaringClass().getSimpleName() + "." + method.getName() + " for " + agent.value();
    }
}
