package io.agentbus.examples.spring;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A content desk on agentbus: a {@link Copywriter} agent that turns briefs into drafts and hands them to the
 * editor. Run it against a Redis with {@code --agentbus.redis-uri=redis://localhost:6379}.
 */
@SpringBootApplication
public class ContentDeskApplication {

    public static void main(String[] args) {
        SpringApplication.run(ContentDeskApplication.class, args);
    }
}
