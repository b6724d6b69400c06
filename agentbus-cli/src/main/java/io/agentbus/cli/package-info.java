/**
 * The {@code agentbus} command ({@link io.agentbus.cli.AgentBusCommand}) and what its commands share: the
 * {@code --redis} and {@code --json} mixins, {@link io.agentbus.cli.ExitCodes}, and the formats and figures
 * that more than one command, the demo or the server print. The commands live in {@code commands},
 * {@code demo} and {@code server}.
 */
package io.agentbus.cli;
