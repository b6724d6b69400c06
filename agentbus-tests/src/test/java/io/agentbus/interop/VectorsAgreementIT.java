package io.agentbus.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentbus.VectorVerdicts;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Python and Node readers give every case of protocol/vectors/entries.json the verdict the file
 * gives it and the Java reader gives it ({@link VectorVerdicts}): each client decodes the cases with its
 * own reader through its driver's {@code vectors FILE} command.
 */
@ExtendWith(RedisServerExtension.class)
class VectorsAgreementIT {

    private static final Duration DRIVER_TIMEOUT = Duration.ofSeconds(30);

    @BeforeAll
    static void requireClients() {
        InteropTools.requirePythonAndNode();
    }

    @Test
    void pythonAndNodeReadersGiveTheVerdictsOfJavaAndTheFile(LocalRedis redis, RawRedis raw) throws Exception {
        List<JsonNode> cases = VectorVerdicts.cases();
        String file = VectorVerdicts.file().toString();

        Map<String, String> java = VectorVerdicts.javaVerdicts(redis, raw);
        Map<String, String> python = driverVerdicts(InteropTools.python(null), file);
        Map<String, String> node = driverVerdicts(InteropTools.node(null), file);

        List<String> disagreements = new ArrayList<>();
        Set<String> disagreeingCases = new HashSet<>();
        for (JsonNode vector : cases) {
            String name = vector.get("name").asText();
            String expected = VectorVerdicts.expectedVerdict(vector);
            Map<String, String> given = Map.of(
                    "java",
                    String.valueOf(java.get(name)),
                    "python",
                    String.valueOf(python.get(name)),
                    "node",
                    String.valueOf(node.get(name)));
            given.forEach((language, verdict) -> {
                if (!verdict.equals(expected)) {
                    disagreements.add(name + ": expected " + expected + ", " + language + " gave " + verdict);
                    disagreeingCases.add(name);
                }
            });
        }
        System.out.printf(
                "RESULT scenario=vectors cases=%d java_python_node_agree=%d%n",
                cases.size(), cases.size() - disagreeingCases.size());
        assertThat(disagreements).isEmpty();
    }

    /** The verdicts the driver prints, by case name. */
    private static Map<String, String> driverVerdicts(ProcessPeer peer, String file) throws Exception {
        try (DriverRun run = peer.start("vectors", file)) {
            Map<String, String> verdicts = new LinkedHashMap<>();
            for (JsonNode line : run.awaitSuccess(DRIVER_TIMEOUT)) {
                verdicts.put(line.path("name").asText(), VectorVerdicts.driverVerdict(line));
            }
            return verdicts;
        }
    }
}
