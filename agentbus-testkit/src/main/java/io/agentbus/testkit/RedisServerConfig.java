package io.agentbus.testkit;

import io.agentbus.embedded.LocalRedis;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * How {@link RedisServerExtension} starts the server of a test class. Inherited, so a subclass can
 * run a whole suite again on another binary or configuration.
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface RedisServerConfig {

    /** Extra {@code redis-server} arguments, e.g. {@code {"--appendonly", "yes"}}. */
    String[] args() default {};

    /** Which binary to run; {@link LocalRedis.Binary#BUNDLED} forces the Redis 6.2 fallback. */
    LocalRedis.Binary binary() default LocalRedis.Binary.AUTO;

    /** One server per test method instead of one per class, where a test must not share state. */
    boolean perTest() default false;
}
