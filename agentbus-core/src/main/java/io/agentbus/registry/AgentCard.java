package io.agentbus.registry;

import io.agentbus.AgentId;
import io.agentbus.InvalidEnvelopeException;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What an agent says about itself in the registry: who it is, its role, what it can do.
 *
 * @param id           the agent
 * @param role         e.g. {@code copywriter}; free text
 * @param capabilities skills others can look it up by ({@code seo_audit}); each follows the message type rule
 * @param version      the agent's version; free text
 * @param description  free text
 * @param metadata     anything else, as text
 */
public record AgentCard(
        AgentId id,
        String role,
        Set<String> capabilities,
        String version,
        String description,
        Map<String, String> metadata) {

    private static final Pattern CAPABILITY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

    public AgentCard {
        Objects.requireNonNull(id, "id");
        role = Objects.requireNonNullElse(role, "");
        version = Objects.requireNonNullElse(version, "");
        description = Objects.requireNonNullElse(description, "");
        capabilities = Set.copyOf(capabilities);
        metadata = Map.copyOf(metadata);
        for (String capability : capabilities) {
            if (!CAPABILITY.matcher(capability).matches()) {
                throw new InvalidEnvelopeException(
                        "capability",
                        capability,
                        "must be 1-128 characters of letters, digits, '_', '.', '-', starting with a letter or digit");
            }
        }
    }

    /** A card with just an id, a role and capabilities. */
    public static AgentCard of(AgentId id, String role, String... capabilities) {
        return new AgentCard(id, role, Set.of(capabilities), "", "", Map.of());
    }
}
