package io.agentbus;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The scans agree with the regular expressions that state the rules, on every string tried. */
class NameRulesTest {

    private static final Pattern AGENT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final Pattern MESSAGE_TYPE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    private static final Pattern MESSAGE_ID = Pattern.compile("[!-~]{1,128}");
    /** Every character class of the rules, their neighbours, and beyond ASCII. */
    private static final String ALPHABET = "aZz09_.-/:@[`{~! \t\n\u007f\u00e9\u0660{}";

    @Test
    void scansAgreeWithTheRegularExpressionsOfTheRules() {
        Random random = new Random(18);
        for (int i = 0; i < 200_000; i++) {
            String value = randomString(random, random.nextInt(140));
            assertThat(NameRules.isName(value, 64))
                    .as(value)
                    .isEqualTo(AGENT_ID.matcher(value).matches());
            assertThat(NameRules.isName(value, 128))
                    .as(value)
                    .isEqualTo(MESSAGE_TYPE.matcher(value).matches());
            assertThat(NameRules.isToken(value, 128))
                    .as(value)
                    .isEqualTo(MESSAGE_ID.matcher(value).matches());
        }
    }

    @Test
    void boundariesOfLengthAndNull() {
        assertThat(NameRules.isName(null, 64)).isFalse();
        assertThat(NameRules.isName("", 64)).isFalse();
        assertThat(NameRules.isName("a".repeat(64), 64)).isTrue();
        assertThat(NameRules.isName("a".repeat(65), 64)).isFalse();
        assertThat(NameRules.isName("_a", 64)).isFalse();
        assertThat(NameRules.isToken(null, 128)).isFalse();
        assertThat(NameRules.isToken("", 128)).isFalse();
        assertThat(NameRules.isToken("~".repeat(128), 128)).isTrue();
        assertThat(NameRules.isToken("~".repeat(129), 128)).isFalse();
    }

    private static String randomString(Random random, int length) {
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            // Mostly valid characters, so that long valid strings and late invalid ones both occur.
            text.append(
                    random.nextInt(10) < 8
                            ? (char) ('a' + random.nextInt(26))
                            : ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return text.toString();
    }
}
