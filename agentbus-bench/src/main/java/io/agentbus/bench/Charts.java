package io.agentbus.bench;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.LineAndShapeRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Draws the run as one PNG with JFreeChart: direct-throughput, backlog-drain and department per system, the
 * latency percentile curves
 * at each open-loop rate (log scale), fan-in, broadcast and durable-topic throughput against the number
 * of agents or subscribers, the request-reply p99 against the round trips in flight, and the cluster
 * scenario's throughput on one server and on a cluster.
 */
final class Charts {

    private static final int PANEL_WIDTH = 620;
    private static final int HEIGHT = 520;
    private static final int COLUMNS = 4;
    private static final Map<String, Color> COLORS = Map.of(
            AgentBusSystem.NAME, new Color(0xD62728),
            AgentBusSystem.METERED, new Color(0xFF9896),
            LettucePlainSystem.NAME, new Color(0x17BECF),
            LettuceRawSystem.NAME, new Color(0x1F77B4),
            RedissonSystem.NAME, new Color(0x2CA02C),
            SpringDataRedisSystem.NAME, new Color(0x9467BD),
            JedisSystem.NAME, new Color(0xFF7F0E),
            SeedListsSystem.NAME, new Color(0x8C564B));
    private static final List<String> PERCENTILES =
            List.of(Result.P50_MS, Result.P90_MS, Result.P99_MS, Result.P999_MS, Result.MAX_MS);

    private Charts() {}

    static void writePng(List<Result> results, String subtitle, Path file) throws IOException {
        List<JFreeChart> charts = new ArrayList<>();
        bars(results, Scenario.DIRECT_THROUGHPUT, "direct-throughput (256 B, send → handler → ack)")
                .ifPresent(charts::add);
        charts.addAll(latency(results));
        bySize(
                        results,
                        Scenario.FAN_IN,
                        "agents",
                        Result.MSGS_PER_S,
                        "fan-in: agents in one process",
                        "messages per second",
                        false)
                .ifPresent(charts::add);
        bySize(
                        results,
                        Scenario.BROADCAST,
                        "subscribers",
                        Result.MSGS_PER_S,
                        "broadcast: subscribers in one process",
                        "deliveries per second",
                        false)
                .ifPresent(charts::add);
        bySize(
                        results,
                        Scenario.DURABLE_TOPIC,
                        "subscribers",
                        Result.MSGS_PER_S,
                        "durable-topic: subscriber groups",
                        "deliveries per second",
                        false)
                .ifPresent(charts::add);
        bySize(
                        results,
                        Scenario.REQUEST_REPLY,
                        "concurrency",
                        Result.P99_MS,
                        "request-reply: p99 round trip",
                        "ms (log)",
                        true)
                .ifPresent(charts::add);
        bars(results, Scenario.BACKLOG_DRAIN, "backlog-drain: one consumer on a queued backlog")
                .ifPresent(charts::add);
        bars(results, Scenario.DEPARTMENT, "department: 15 agents in 3 processes, as fast as handled")
                .ifPresent(charts::add);
        cluster(results).ifPresent(charts::add);
        if (charts.isEmpty()) {
            throw new IllegalArgumentException("nothing to draw: no results of any scenario");
        }
        // At most four panels a row, so that a full run stays a picture rather than a strip.
        int columns = Math.min(COLUMNS, charts.size());
        int rows = (charts.size() + COLUMNS - 1) / COLUMNS;
        int width = PANEL_WIDTH * columns;
        BufferedImage image = new BufferedImage(width, HEIGHT * rows + 30, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, HEIGHT * rows + 30);
        for (int i = 0; i < charts.size(); i++) {
            charts.get(i)
                    .draw(
                            g,
                            new Rectangle2D.Double(
                                    i % COLUMNS * PANEL_WIDTH, i / COLUMNS * HEIGHT, PANEL_WIDTH, HEIGHT));
        }
        g.setColor(Color.DARK_GRAY);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.drawString(subtitle, 10, HEIGHT * rows + 20);
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
    }

    /** Messages per second of each system in a scenario with one figure per system, as bars. */
    private static java.util.Optional<JFreeChart> bars(List<Result> results, Scenario scenario, String title) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        results.stream()
                .filter(r -> r.scenario().equals(scenario.id())
                        && r.metric().equals(Result.MSGS_PER_S)
                        && !Systems.isRedisBenchmark(r.system())
                        // the department's capacity: its fixed-rate run handles the rate it is given
                        && !DepartmentScenario.AT_RATE.equals(r.params().get("load")))
                .forEach(r -> data.addValue(r.value(), "msgs/s", r.system()));
        if (data.getColumnCount() == 0) {
            return java.util.Optional.empty();
        }
        JFreeChart chart = ChartFactory.createBarChart(
                title, null, "messages per second", data, PlotOrientation.VERTICAL, false, false, false);
        CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        BarRenderer renderer = new BarRenderer() {
            @Override
            public java.awt.Paint getItemPaint(int row, int column) {
                return COLORS.getOrDefault((String) data.getColumnKey(column), Color.GRAY);
            }
        };
        renderer.setShadowVisible(false);
        renderer.setBarPainter(new org.jfree.chart.renderer.category.StandardBarPainter());
        plot.setRenderer(renderer);
        plot.getDomainAxis().setMaximumCategoryLabelLines(2);
        style(chart);
        return java.util.Optional.of(chart);
    }

    /** The cluster scenario: throughput of each system on one server and on the cluster, side by side. */
    private static java.util.Optional<JFreeChart> cluster(List<Result> results) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        results.stream()
                .filter(r ->
                        r.scenario().equals(Scenario.CLUSTER.id()) && r.metric().equals(Result.MSGS_PER_S))
                .forEach(r -> data.addValue(
                        r.value(), r.system(), r.params().get("topology") + " (" + r.param("masters") + " masters)"));
        if (data.getColumnCount() == 0) {
            return java.util.Optional.empty();
        }
        JFreeChart chart = ChartFactory.createBarChart(
                "cluster: direct throughput, many agents",
                null,
                "messages per second",
                data,
                PlotOrientation.VERTICAL,
                true,
                false,
                false);
        CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        BarRenderer renderer = (BarRenderer) plot.getRenderer();
        renderer.setShadowVisible(false);
        renderer.setBarPainter(new org.jfree.chart.renderer.category.StandardBarPainter());
        for (int i = 0; i < data.getRowCount(); i++) {
            renderer.setSeriesPaint(i, COLORS.getOrDefault((String) data.getRowKey(i), Color.GRAY));
        }
        style(chart);
        return java.util.Optional.of(chart);
    }

    private static List<JFreeChart> latency(List<Result> results) {
        String scenario = Scenario.DIRECT_LATENCY.id();
        TreeSet<Long> rates = new TreeSet<>();
        results.stream().filter(r -> r.scenario().equals(scenario)).forEach(r -> rates.add(r.param("rate")));
        List<JFreeChart> charts = new ArrayList<>();
        for (long rate : rates) {
            DefaultCategoryDataset data = new DefaultCategoryDataset();
            for (String system : Systems.NAMES) {
                for (String metric : PERCENTILES) {
                    results.stream()
                            .filter(r -> r.scenario().equals(scenario)
                                    && r.param("rate") == rate
                                    && r.system().equals(system)
                                    && r.metric().equals(metric))
                            .forEach(r -> data.addValue(
                                    Math.max(r.value(), 0.001),
                                    system,
                                    metric.replace("_ms", "").replace("p999", "p99.9")));
                }
            }
            JFreeChart chart = ChartFactory.createLineChart(
                    String.format(java.util.Locale.ROOT, "direct-latency at %,d msg/s (open loop)", rate),
                    "percentile",
                    "ms after intended send (log)",
                    data,
                    PlotOrientation.VERTICAL,
                    true,
                    false,
                    false);
            CategoryPlot plot = chart.getCategoryPlot();
            LogAxis axis = new LogAxis("ms after intended send (log)");
            axis.setSmallestValue(0.01);
            axis.setTickUnit(new NumberTickUnit(1));
            axis.setNumberFormatOverride(new java.text.DecimalFormat("0.###"));
            plot.setRangeAxis(axis);
            plot.setBackgroundPaint(Color.WHITE);
            plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
            LineAndShapeRenderer renderer = (LineAndShapeRenderer) plot.getRenderer();
            renderer.setDefaultShapesVisible(true);
            for (int i = 0; i < data.getRowCount(); i++) {
                renderer.setSeriesPaint(i, COLORS.getOrDefault((String) data.getRowKey(i), Color.GRAY));
                renderer.setSeriesStroke(i, new java.awt.BasicStroke(2f));
            }
            style(chart);
            charts.add(chart);
        }
        return charts;
    }

    /** One line per system of {@code metric} against the scenario's size parameter (log scale): agents, subscribers, … */
    private static java.util.Optional<JFreeChart> bySize(
            List<Result> results,
            Scenario scenario,
            String param,
            String metric,
            String title,
            String valueLabel,
            boolean logValues) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (String system : Systems.NAMES) {
            XYSeries series = new XYSeries(system);
            results.stream()
                    .filter(r -> r.scenario().equals(scenario.id())
                            && r.system().equals(system)
                            && r.metric().equals(metric)
                            && r.param(param) > 0)
                    .forEach(r -> series.add(r.param(param), r.value()));
            if (series.getItemCount() > 0) {
                data.addSeries(series);
            }
        }
        if (data.getSeriesCount() == 0) {
            return java.util.Optional.empty();
        }
        JFreeChart chart = ChartFactory.createXYLineChart(
                title, param + " (log)", valueLabel, data, PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        LogAxis sizes = new LogAxis(param + " (log)");
        sizes.setBase(10);
        sizes.setSmallestValue(1);
        sizes.setTickUnit(new NumberTickUnit(1));
        sizes.setNumberFormatOverride(new java.text.DecimalFormat("#,##0"));
        plot.setDomainAxis(sizes);
        if (logValues) {
            LogAxis values = new LogAxis(valueLabel);
            values.setSmallestValue(0.01);
            values.setNumberFormatOverride(new java.text.DecimalFormat("0.###"));
            plot.setRangeAxis(values);
        }
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            renderer.setSeriesPaint(i, COLORS.getOrDefault((String) data.getSeriesKey(i), Color.GRAY));
            renderer.setSeriesStroke(i, new java.awt.BasicStroke(2f));
        }
        plot.setRenderer(renderer);
        style(chart);
        return java.util.Optional.of(chart);
    }

    private static void style(JFreeChart chart) {
        chart.setBackgroundPaint(Color.WHITE);
        chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
    }
}
