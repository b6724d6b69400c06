/**
 * {@code agentbus server}: the dashboard (served from {@code dashboard/} beside these classes), the JSON API
 * and the Prometheus endpoint with its gauges of what Redis holds.
 */
package io.agentbus.cli.server;
