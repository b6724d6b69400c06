package io.agentbus.cli.demo;

import io.agentbus.AgentId;
import io.agentbus.Envelope;
import io.agentbus.Priority;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * The marketing department of the seed ADR: its roles, how many instances of each run, the org chart,
 * and the messages that plausibly flow along it. Managers assign tasks to their reports and give
 * feedback; reports send status updates and ask their manager for reviews; a few peers hand work to
 * each other. A route carries traffic in proportion to the instances of its recipient: the department
 * runs two copywriters because copy is where most of the work lands.
 *
 * <p>Some messages make their handler fail ({@link SimulatedFault}): one in {@value #TRANSIENT_ONE_IN}
 * drawn at random fails once or twice and then succeeds, and every {@value #POISON_EVERY}th is poison,
 * alternately rejected as non-retryable and failing on every attempt.
 */
final class Department {

    /**
     * One role of the department.
     *
     * @param id           the agent id every instance of the role subscribes as
     * @param manager      whom the role reports to; empty for the head of the department
     * @param instances    how many instances run, competing for the role's inbox
     * @param deliverables what the role produces, named in the payloads
     */
    record Role(AgentId id, Optional<AgentId> manager, int instances, List<String> deliverables) {}

    /** Messages of one type from one role to another. */
    record Route(Role from, Role to, String messageType) {}

    /** Every this many messages, one is poison: 0.25%, and at least one in a run of 400 or more. */
    static final int POISON_EVERY = 400;
    /** About one message in this many fails transiently: 2%. */
    static final int TRANSIENT_ONE_IN = 50;

    private static final List<String> CAMPAIGNS = List.of("spring-launch", "webinar-series", "brand-refresh");

    private final Map<AgentId, Role> roles = new LinkedHashMap<>();
    private final List<Route> routes = new ArrayList<>();
    private final List<Route> weightedRoutes = new ArrayList<>();

    private Department() {}

    /** The fifteen roles of the seed's marketing department, with two running copywriters. */
    static Department marketing() {
        Department department = new Department();
        department.role("cmo", null, 1, "quarterly marketing plan", "budget approval");
        department.role("campaign_manager", "cmo", 1, "campaign brief", "launch timeline");
        department.role("content_manager", "cmo", 1, "content calendar", "editorial guidelines");
        department.role("brand_manager", "cmo", 1, "brand guidelines", "messaging framework");
        department.role("market_researcher", "cmo", 1, "competitor analysis", "customer survey");
        department.role("email_marketer", "campaign_manager", 1, "launch email sequence", "newsletter");
        department.role("ppc_specialist", "campaign_manager", 1, "search ad set", "retargeting campaign");
        department.role("social_media_manager", "campaign_manager", 1, "launch week posts", "influencer outreach");
        department.role("copywriter", "content_manager", 2, "launch blog post", "landing page copy");
        department.role("seo_specialist", "content_manager", 1, "keyword map", "meta descriptions");
        department.role("graphic_designer", "content_manager", 1, "hero banner", "social media visuals");
        department.role("video_producer", "content_manager", 1, "product teaser video", "webinar recording edit");
        department.role("pr_specialist", "brand_manager", 1, "press release", "media kit");
        department.role("community_manager", "brand_manager", 1, "forum announcement", "community AMA");
        department.role("data_analyst", "market_researcher", 1, "campaign dashboard", "attribution report");
        department.handoff("seo_specialist", "copywriter");
        department.handoff("copywriter", "seo_specialist");
        department.handoff("email_marketer", "copywriter");
        department.handoff("copywriter", "graphic_designer");
        department.handoff("graphic_designer", "video_producer");
        department.handoff("social_media_manager", "community_manager");
        department.handoff("pr_specialist", "community_manager");
        department.handoff("ppc_specialist", "data_analyst");
        department.handoff("data_analyst", "campaign_manager");
        department.handoff("market_researcher", "brand_manager");
        return department;
    }

    List<Role> roles() {
        return List.copyOf(roles.values());
    }

    List<Route> routes() {
        return List.copyOf(routes);
    }

    /** The roles nobody reports to: the specialists who do the work that managers assign. */
    List<Role> specialists() {
        return roles.values().stream()
                .filter(role -> roles.values().stream()
                        .noneMatch(report -> report.manager().equals(Optional.of(role.id()))))
                .toList();
    }

    /**
     * The {@code sequence}th message of the demo: a route drawn with weight by its recipient's
     * instances, and a small payload in that route's terms, with the failure it simulates, if any.
     */
    Envelope message(int sequence, Random random) {
        Route route = weightedRoutes.get(random.nextInt(weightedRoutes.size()));
        String campaign = CAMPAIGNS.get(random.nextInt(CAMPAIGNS.size()));
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("campaign", campaign);
        Priority priority = Priority.NORMAL;
        switch (route.messageType()) {
            case "task_assignment" -> {
                payload.put("task", pick(route.to(), random));
                payload.put("due_in_days", 1 + random.nextInt(10));
            }
            case "feedback" -> {
                payload.put("deliverable", pick(route.to(), random));
                payload.put("verdict", random.nextInt(3) == 0 ? "changes_requested" : "approved");
            }
            case "review_request" -> {
                payload.put("deliverable", pick(route.from(), random));
                payload.put("version", 1 + random.nextInt(4));
                priority = Priority.HIGH; // a waiting review blocks the sender's work
            }
            case "status_update" -> {
                payload.put("task", pick(route.from(), random));
                payload.put("progress_pct", 10 * random.nextInt(11));
                priority = Priority.LOW;
            }
            default -> payload.put("deliverable", pick(route.from(), random)); // a handoff between peers
        }
        payload.put("seq", sequence);
        fault(sequence, random).ifPresent(fault -> fault.writeTo(payload));
        return Envelope.builder()
                .from(route.from().id())
                .to(route.to().id())
                .type(route.messageType())
                .payload(payload)
                .priority(priority)
                .conversationId(campaign)
                .build();
    }

    /** The failure the {@code sequence}th message simulates, if any. */
    private static Optional<SimulatedFault> fault(int sequence, Random random) {
        // Both draws every time, so that one message's fault does not shift the draws of the next.
        boolean transientFailure = random.nextInt(TRANSIENT_ONE_IN) == 0;
        int failingAttempts = 1 + random.nextInt(2);
        if (sequence % POISON_EVERY == 0) {
            return Optional.of(SimulatedFault.poison(
                    (sequence / POISON_EVERY) % 2 == 1
                            ? SimulatedFault.Kind.NON_RETRYABLE
                            : SimulatedFault.Kind.ALWAYS_FAILS));
        }
        return transientFailure ? Optional.of(SimulatedFault.transientFor(failingAttempts)) : Optional.empty();
    }

    private void role(String id, String manager, int instances, String... deliverables) {
        Role role = new Role(
                AgentId.of(id), Optional.ofNullable(manager).map(AgentId::of), instances, List.of(deliverables));
        roles.put(role.id(), role);
        role.manager().map(roles::get).ifPresent(boss -> {
            route(boss, role, "task_assignment");
            route(boss, role, "feedback");
            route(role, boss, "review_request");
            route(role, boss, "status_update");
        });
    }

    private void handoff(String from, String to) {
        route(roles.get(AgentId.of(from)), roles.get(AgentId.of(to)), "handoff");
    }

    private void route(Role from, Role to, String messageType) {
        Route route = new Route(from, to, messageType);
        routes.add(route);
        for (int i = 0; i < to.instances(); i++) {
            weightedRoutes.add(route);
        }
    }

    private static String pick(Role role, Random random) {
        return role.deliverables().get(random.nextInt(role.deliverables().size()));
    }
}
