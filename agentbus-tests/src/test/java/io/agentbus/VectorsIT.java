package io.agentbus;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The test vectors of protocol/vectors/entries.json, the verdicts every reader of the wire format must
 * give: each entry is written raw into an inbox, as a foreign writer would, and a real consumer must
 * hand it to its handler with the expected normalised fields, or dead-letter it with the expected
 * reason and field ({@link VectorVerdicts}). The Python and Node readers are held to the same verdicts
 * by {@code io.agentbus.interop.VectorsAgreementIT}.
 */
@ExtendWith(RedisServerExtension.class)
class VectorsIT {

    @Test
    void javaReaderGivesEveryVectorItsVerdict(LocalRedis redis, RawRedis raw) throws Exception {
        List<JsonNode> cases = VectorVerdicts.cases();

        Map<String, String> java = VectorVerdicts.javaVerdicts(redis, raw);

        List<String> disagreements = new ArrayList<>();
        for (JsonNode vector : cases) {
            String name = vector.get("name").asText();
            String expected = VectorVerdicts.expectedVerdict(vector);
            if (!expected.equals(java.get(name))) {
                disagreements.add(name + ": expected " + expected + ", Java gave " + java.get(name));
            }
        }
        System.out.printf(
                "RESULT scenario=vectors cases=%d java_agree=%d%n", cases.size(), cases.size() - disagreements.size());
        assertThat(disagreements).isEmpty();
    }
}
