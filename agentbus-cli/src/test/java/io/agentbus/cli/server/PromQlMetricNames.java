package io.agentbus.cli.server;

import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression reads, for the tests that hold the alert rules and the Grafana dashboard
 * to the metrics agentbus exports. Ranges ({@code [5m]}, {@code [$__rate_interval]}), label matchers, grouping
 * lists and strings are blanked first; what is left that looks like an identifier and is not followed by "(" (a
 * function or an aggregation) is a metric name, keywords and Grafana variables ({@code $agent}) aside.
 */
final class PromQlMetricNames {

    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w:.$])[a-zA-Z_:][\\w:]*+(?!\\s*\\()");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "inf", "nan");

    private PromQlMetricNames() {}

    static Set<String> in(String expr) {
        String bare = expr.replaceAll("\\[[^]]*]", " ")
                .replaceAll("\\{[^}]*}", " ")
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ")
                .replaceAll("\"[^\"]*\"", " ");
        Set<String> names = new TreeSet<>();
        Matcher matcher = IDENTIFIER.matcher(bare);
        while (matcher.find()) {
            if (!KEYWORDS.contains(matcher.group().toLowerCase(Locale.ROOT))) {
                names.add(matcher.group());
            }
        }
        return names;
    }
}
