/** {@code agentbus demo}, the marketing department, and {@code agentbus demo swarm}, with their helpers. */
package io.agentbus.cli.demo;
