/**
 * The commands that talk to the bus one request at a time: {@code send}, {@code receive}, {@code inbox},
 * {@code dlq}, {@code publish}, {@code watch}, {@code request}, {@code audit}, {@code agents}, {@code swarm},
 * {@code stats} and {@code bench}.
 */
package io.agentbus.cli.commands;
