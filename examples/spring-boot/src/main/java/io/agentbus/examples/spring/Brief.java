package io.agentbus.examples.spring;

/** What the copywriter is asked to write: the payload of a {@code brief} message. */
public record Brief(String topic, int words) {}
