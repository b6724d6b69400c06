package io.agentbus;

/**
 * The character rules of ids and names, written as scans rather than regular expressions: they run
 * several times per message on both the send and the receive path, where {@code java.util.regex} took
 * about a fifth of the handler thread's samples at full rate (JFR of the bench, issue 18).
 */
final class NameRules {

    private NameRules() {}

    /** 1 to {@code maxLength} ASCII letters, digits, {@code _ . -}, starting with a letter or digit. */
    static boolean isName(String value, int maxLength) {
        int length = value == null ? 0 : value.length();
        if (length == 0 || length > maxLength || !isLetterOrDigit(value.charAt(0))) {
            return false;
        }
        for (int i = 1; i < length; i++) {
            char c = value.charAt(i);
            if (!isLetterOrDigit(c) && c != '_' && c != '.' && c != '-') {
                return false;
            }
        }
        return true;
    }

    /** 1 to {@code maxLength} printable ASCII characters without spaces ({@code !} to {@code ~}). */
    static boolean isToken(String value, int maxLength) {
        int length = value == null ? 0 : value.length();
        if (length == 0 || length > maxLength) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            char c = value.charAt(i);
            if (c < '!' || c > '~') {
                return false;
            }
        }
        return true;
    }

    private static boolean isLetterOrDigit(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }
}
