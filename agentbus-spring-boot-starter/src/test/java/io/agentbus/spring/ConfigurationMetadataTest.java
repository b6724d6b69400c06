package io.agentbus.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentbus.BusOptions;
import io.agentbus.ConnectionOptions;
import io.agentbus.ConsumerOptions;
import io.agentbus.DeliveryOptions;
import io.agentbus.SendOptions;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * The configuration metadata that IDEs show repeats core's defaults by hand
 * (additional-spring-configuration-metadata.json): binding every documented default must give
 * {@link BusOptions#defaults()}, so a changed default in core fails here until the metadata says the same.
 */
class ConfigurationMetadataTest {

    @Test
    void everyDocumentedDefaultIsCoresDefault() throws Exception {
        Map<String, String> documented = documentedDefaults();

        BusOptions options = new Binder(new MapConfigurationPropertySource(documented))
                .bindOrCreate("agentbus", AgentBusProperties.class)
                .toBusOptions()
                .build();

        assertThat(options.connection()).isEqualTo(ConnectionOptions.defaults());
        assertThat(options.send()).isEqualTo(SendOptions.defaults());
        assertThat(options.delivery().toString())
                .isEqualTo(DeliveryOptions.defaults().toString());
        assertThat(options.consumer()).isEqualTo(ConsumerOptions.defaults());
        assertThat(options.auditCap()).isEqualTo(BusOptions.DEFAULT_AUDIT_CAP);
    }

    @Test
    void everyPropertyHasADescription() throws Exception {
        for (JsonNode property : metadata().get("properties")) {
            assertThat(property.path("description").asText())
                    .as(property.get("name").asText())
                    .isNotBlank();
        }
    }

    private static Map<String, String> documentedDefaults() throws Exception {
        Map<String, String> defaults = new HashMap<>();
        for (JsonNode property : metadata().get("properties")) {
            String name = property.get("name").asText();
            if (name.startsWith("agentbus.") && property.has("defaultValue")) {
                defaults.put(name, property.get("defaultValue").asText());
            }
        }
        assertThat(defaults).containsKeys("agentbus.delivery.max-attempts", "agentbus.consumer.shutdown-timeout");
        return defaults;
    }

    private static JsonNode metadata() throws Exception {
        try (InputStream json =
                ConfigurationMetadataTest.class.getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            assertThat(json)
                    .as("metadata written by spring-boot-configuration-processor")
                    .isNotNull();
            return new ObjectMapper().readTree(json);
        }
    }
}
