package io.agentbus.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The payload limit counts UTF-8 bytes, as the wire stores them, without encoding the payload. */
class PayloadSizeTest {

    @Test
    void utf8LengthIsTheLengthOfTheEncodedBytes() {
        for (String text : new String[] {
            "",
            "{}",
            "{\"a\":\"é\"}",
            "{\"€\":1}",
            "{\"emoji\":\"\uD83D\uDE80\"}",
            "{\"lone\":\"\uD800x\"}",
            "{\"end\":\"\uDC00\"}"
        }) {
            assertThat(Sender.utf8Length(text)).as(text).isEqualTo(text.getBytes(StandardCharsets.UTF_8).length);
        }
    }
}
