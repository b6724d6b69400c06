package io.agentbus.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentbus.AgentId;
import io.agentbus.Envelope;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class DepartmentTest {

    private final Department department = Department.marketing();

    @Test
    void marketingHasTheSeedsFifteenRolesAndTwoCopywriters() {
        List<Department.Role> roles = department.roles();

        assertThat(roles)
                .extracting(role -> role.id().value())
                .containsExactlyInAnyOrder(
                        "cmo",
                        "campaign_manager",
                        "content_manager",
                        "copywriter",
                        "seo_specialist",
                        "social_media_manager",
                        "email_marketer",
                        "graphic_designer",
                        "brand_manager",
                        "market_researcher",
                        "data_analyst",
                        "pr_specialist",
                        "video_producer",
                        "community_manager",
                        "ppc_specialist");
        assertThat(roles)
                .filteredOn(role -> role.instances() == 2)
                .extracting(Department.Role::id)
                .containsExactly(AgentId.of("copywriter"));
        assertThat(roles.stream().mapToInt(Department.Role::instances).sum()).isEqualTo(16);
    }

    @Test
    void everyoneButTheCmoReportsToARoleOfTheDepartmentAndTalksWithIt() {
        Set<AgentId> ids = department.roles().stream().map(Department.Role::id).collect(Collectors.toSet());

        for (Department.Role role : department.roles()) {
            if (role.id().value().equals("cmo")) {
                assertThat(role.manager()).isEmpty();
                continue;
            }
            AgentId manager = role.manager().orElseThrow();
            assertThat(ids).contains(manager);
            assertThat(department.routes()).anySatisfy(route -> {
                assertThat(route.from().id()).isEqualTo(manager);
                assertThat(route.to()).isEqualTo(role);
                assertThat(route.messageType()).isEqualTo("task_assignment");
            });
            assertThat(department.routes()).anySatisfy(route -> {
                assertThat(route.from()).isEqualTo(role);
                assertThat(route.to().id()).isEqualTo(manager);
                assertThat(route.messageType()).isEqualTo("review_request");
            });
        }
    }

    @Test
    void theSpecialistsAreTheTenRolesNobodyReportsToWithElevenInstances() {
        List<Department.Role> specialists = department.specialists();

        assertThat(specialists)
                .extracting(role -> role.id().value())
                .containsExactlyInAnyOrder(
                        "email_marketer",
                        "ppc_specialist",
                        "social_media_manager",
                        "copywriter",
                        "seo_specialist",
                        "graphic_designer",
                        "video_producer",
                        "pr_specialist",
                        "community_manager",
                        "data_analyst");
        assertThat(specialists.stream().mapToInt(Department.Role::instances).sum())
                .isEqualTo(11);
    }

    @Test
    void messagesFollowTheRoutesWithSmallJsonPayloads() {
        Random random = new Random(1);
        Set<List<Object>> routes = department.routes().stream()
                .map(route -> List.<Object>of(route.from().id(), route.to().id(), route.messageType()))
                .collect(Collectors.toSet());

        List<Envelope> messages = IntStream.rangeClosed(1, 1000)
                .mapToObj(seq -> department.message(seq, random))
                .toList();

        assertThat(messages).allSatisfy(message -> {
            assertThat(routes).contains(List.of(message.fromAgent(), message.toAgent(), message.messageType()));
            assertThat(message.payload()).startsWith("{\"campaign\":");
            assertThat(message.payloadBytes()).isLessThan(200);
        });
        assertThat(messages)
                .extracting(Envelope::messageType)
                .contains("task_assignment", "feedback", "review_request", "status_update", "handoff");
    }

    @Test
    void aboutTwoPercentFailTransientlyAndEvery400thIsPoisonOfAlternatingKinds() {
        Random random = new Random(DemoCommand.TRAFFIC_SEED);

        List<SimulatedFault> faults = IntStream.rangeClosed(1, 4000)
                .mapToObj(seq ->
                        SimulatedFault.of(department.message(seq, random)).orElse(null))
                .toList();

        List<Integer> poison = IntStream.range(0, faults.size())
                .filter(i -> faults.get(i) != null && faults.get(i).isPoison())
                .map(i -> i + 1)
                .boxed()
                .toList();
        assertThat(poison).containsExactly(400, 800, 1200, 1600, 2000, 2400, 2800, 3200, 3600, 4000);
        assertThat(poison)
                .extracting(seq -> faults.get(seq - 1).kind())
                .containsOnly(SimulatedFault.Kind.NON_RETRYABLE, SimulatedFault.Kind.ALWAYS_FAILS)
                .first()
                .isEqualTo(SimulatedFault.Kind.NON_RETRYABLE);
        List<SimulatedFault> transientFaults =
                faults.stream().filter(f -> f != null && !f.isPoison()).toList();
        assertThat(transientFaults.size()).isBetween(60, 100);
        assertThat(transientFaults).extracting(SimulatedFault::failingAttempts).containsOnly(1, 2);
    }

    @Test
    void aFaultSurvivesTheTripThroughThePayload() {
        Envelope message = IntStream.rangeClosed(1, 400)
                .mapToObj(seq -> department.message(seq, new Random(3)))
                .reduce((first, last) -> last)
                .orElseThrow();

        assertThat(message.payload()).contains("\"simulate\":\"poison\",\"poison\":\"non_retryable\"");
        assertThat(SimulatedFault.of(message)).contains(SimulatedFault.poison(SimulatedFault.Kind.NON_RETRYABLE));
    }

    @Test
    void aRouteToARoleWithTwoInstancesCarriesTwiceTheTraffic() {
        Random random = new Random(7);
        Map<AgentId, Integer> assignments = new HashMap<>();

        IntStream.rangeClosed(1, 20_000)
                .mapToObj(seq -> department.message(seq, random))
                .filter(message -> message.messageType().equals("task_assignment"))
                .filter(message -> message.fromAgent().equals(AgentId.of("content_manager")))
                .forEach(message -> assignments.merge(message.toAgent(), 1, Integer::sum));

        // The content manager assigns tasks to both; two copywriters run, one seo specialist.
        double ratio =
                assignments.get(AgentId.of("copywriter")) / (double) assignments.get(AgentId.of("seo_specialist"));
        assertThat(ratio).isBetween(1.6, 2.4);
    }
}
