package io.agentbus.cli.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names docs/OPERATIONS.md documents: the first cell (and the alias column, where a table has one) of
 * every row of the tables headed "metric" in its
 * Monitoring section, a histogram adding its {@code _bucket}, {@code _sum}, {@code _count} and {@code _max}
 * series. What the alert rules and the dashboard query must be there, so that a name exported under another
 * spelling, or never documented, fails a test.
 */
final class DocumentedMetrics {

    static final Path OPERATIONS = Path.of("..", "docs", "OPERATIONS.md");

    private static final Pattern NAME = Pattern.compile("`([a-zA-Z_:][\\w:]*)`");
    private static final List<String> HISTOGRAM_SERIES = List.of("_bucket", "_sum", "_count", "_max");

    private DocumentedMetrics() {}

    static Set<String> read() throws IOException {
        List<String> lines = Files.readAllLines(OPERATIONS);
        int start = lines.indexOf("## Monitoring");
        if (start < 0) {
            throw new IllegalStateException(OPERATIONS + " has no \"## Monitoring\" section");
        }
        Set<String> names = new TreeSet<>();
        boolean inTable = false;
        boolean metricTable = false;
        int typeColumn = -1;
        int aliasColumn = -1;
        for (String line : lines.subList(start + 1, lines.size())) {
            if (line.startsWith("## ")) {
                break;
            }
            if (!line.startsWith("|")) {
                inTable = false;
                continue;
            }
            List<String> cells = cells(line);
            if (!inTable) {
                inTable = true;
                metricTable = cells.get(0).equals("metric");
                typeColumn = cells.indexOf("type");
                aliasColumn = cells.indexOf("alias");
            } else if (metricTable && !cells.get(0).startsWith("---")) {
                boolean histogram = typeColumn > 0 && cells.get(typeColumn).equals("histogram");
                // A metric's name, and its old name where the table has an alias column (exported too).
                String named = aliasColumn > 0 ? cells.get(0) + " " + cells.get(aliasColumn) : cells.get(0);
                Matcher matcher = NAME.matcher(named);
                while (matcher.find()) {
                    String name = matcher.group(1);
                    names.add(name);
                    if (histogram) {
                        HISTOGRAM_SERIES.forEach(suffix -> names.add(name + suffix));
                    }
                }
            }
        }
        return names;
    }

    private static List<String> cells(String row) {
        String inner = row.substring(1, row.endsWith("|") ? row.length() - 1 : row.length());
        return Arrays.stream(inner.split("\\|", -1)).map(String::trim).toList();
    }
}
