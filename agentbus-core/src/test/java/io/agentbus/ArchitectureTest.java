package io.agentbus;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The shape of agentbus-core, read from its compiled classes. */
class ArchitectureTest {

    private static final String IMPLEMENTATION = "io.agentbus.redis";
    private static final JavaClasses CORE = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.agentbus");

    @Test
    void theImplementationIsReachedOnlyThroughItsOneDoor() {
        noClasses()
                .that()
                .resideOutsideOfPackage(IMPLEMENTATION)
                .and()
                .doNotHaveFullyQualifiedName(AgentBus.class.getName())
                .should()
                .dependOnClassesThat()
                .resideInAPackage(IMPLEMENTATION)
                .check(CORE);
        classes()
                .that()
                .resideInAPackage(IMPLEMENTATION)
                .and()
                .areTopLevelClasses()
                .and()
                .arePublic()
                .should()
                .haveSimpleName("RedisBackend")
                .check(CORE);
    }

    @Test
    void implementationClassesHoldNoReferenceCycle() {
        Map<String, Set<String>> graph = topLevelDependencies(IMPLEMENTATION);
        assertThat(graph).containsKeys("RedisAgentBus", "ConsumerInstance", "LaneReader", "StreamFeed");

        List<Set<String>> cycles = stronglyConnected(graph).stream()
                .filter(component -> component.size() > 1)
                .toList();

        assertThat(cycles)
                .as("classes of %s that reference each other", IMPLEMENTATION)
                .isEmpty();
    }

    /** Each top-level class of {@code pkg} to the top-level classes of {@code pkg} it references; nested classes count as their outer class. */
    private static Map<String, Set<String>> topLevelDependencies(String pkg) {
        Map<String, Set<String>> graph = new TreeMap<>();
        for (JavaClass type : CORE) {
            if (!type.getPackageName().equals(pkg)) {
                continue;
            }
            Set<String> targets = graph.computeIfAbsent(topLevel(type), name -> new TreeSet<>());
            for (Dependency dependency : type.getDirectDependenciesFromSelf()) {
                JavaClass target = dependency.getTargetClass().getBaseComponentType();
                if (target.getPackageName().equals(pkg) && !topLevel(target).equals(topLevel(type))) {
                    targets.add(topLevel(target));
                }
            }
        }
        return graph;
    }

    private static String topLevel(JavaClass type) {
        String name = type.getName();
        int nested = name.indexOf('$');
        return (nested < 0 ? name : name.substring(0, nested))
                .substring(type.getPackageName().length() + 1);
    }

    /** Tarjan's algorithm: the strongly connected components of {@code graph}. */
    private static List<Set<String>> stronglyConnected(Map<String, Set<String>> graph) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new TreeSet<>();
        List<Set<String>> components = new ArrayList<>();
        for (String node : graph.keySet()) {
            if (!index.containsKey(node)) {
                visit(node, graph, index, low, stack, onStack, components);
            }
        }
        return components;
    }

    private static void visit(
            String node,
            Map<String, Set<String>> graph,
            Map<String, Integer> index,
            Map<String, Integer> low,
            Deque<String> stack,
            Set<String> onStack,
            List<Set<String>> components) {
        index.put(node, index.size());
        low.put(node, index.get(node));
        stack.push(node);
        onStack.add(node);
        for (String next : graph.getOrDefault(node, Set.of())) {
            if (!index.containsKey(next)) {
                visit(next, graph, index, low, stack, onStack, components);
                low.put(node, Math.min(low.get(node), low.get(next)));
            } else if (onStack.contains(next)) {
                low.put(node, Math.min(low.get(node), index.get(next)));
            }
        }
        if (low.get(node).equals(index.get(node))) {
            Set<String> component = new TreeSet<>();
            String member;
            do {
                member = stack.pop();
                onStack.remove(member);
                component.add(member);
            } while (!member.equals(node));
            components.add(component);
        }
    }
}
