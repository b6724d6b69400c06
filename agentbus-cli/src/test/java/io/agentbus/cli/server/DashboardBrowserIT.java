package io.agentbus.cli.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.Envelope;
import io.agentbus.MessageId;
import io.agentbus.Subscription;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.registry.AgentCard;
import io.agentbus.testkit.RedisServerExtension;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.awaitility.core.ConditionFactory;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.HasCapabilities;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;

/**
 * The dashboard in a real headless Chromium at 1366×768, driven through the system's chromedriver (never one
 * that Selenium Manager would download): the page's numbers follow the traffic, its redrive button works, the
 * agent page (deep link) peeks without consuming, colours mark only problems, and stale figures are marked while
 * Redis is stopped. Each test saves a full-page screenshot per view under target/.
 */
@ExtendWith(RedisServerExtension.class)
class DashboardBrowserIT {

    private static final File CHROMIUM = new File("/usr/bin/chromium");
    private static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");
    private static final Duration PAGE_TIMEOUT = Duration.ofSeconds(20);
    private static final int WIDTH = 1366;
    private static final int HEIGHT = 768;
    private static final int BATCHES = 4;
    private static final Duration BATCH_SPACING = Duration.ofMillis(700);
    /** The CSS red of a problem status (dashboard.css); a healthy agent shows none of it. */
    private static final String PROBLEM_RED = "rgba(179, 38, 30, 1)";

    @Test
    void pageFollowsTheTrafficAndRedrivesDeadLetters(LocalRedis redis, @TempDir Path profile) throws Exception {
        int messages = 40;
        int poisonEvery = 10;
        int poison = ScriptedTraffic.poisonOf(messages, poisonEvery);
        ChromeDriver driver = browser(profile);
        try (RunningServer server = new RunningServer(redis, BusOptions.builder());
                ScriptedTraffic traffic = new ScriptedTraffic(server.bus(), "browser")) {
            Page page = new Page(driver, traffic.agent.value());
            driver.get(server.baseUri() + "/");
            onPage().until(() -> page.number(By.id("status"), "updates") > 0);

            // In batches over a few seconds, as real traffic comes: the 1-s samples must see a rate, and so must the
            // page.
            for (int batch = 0; batch < BATCHES; batch++) {
                traffic.send(messages / BATCHES, poisonEvery);
                Thread.sleep(BATCH_SPACING.toMillis());
                page.observe();
            }

            onPage().alias("the page shows the traffic")
                    .until(() -> page.agentFigure("sent") == messages
                            && page.agentFigure("acked") == messages - poison
                            && page.agentFigure("dead_letters") == poison
                            && page.sentRateSeen()
                            && page.agentFigure("pending") == 0
                            && page.number(By.id("total-live"), "value") > 0
                            && driver.findElements(By.cssSelector("#live-agents li[data-key='" + traffic.agent + "']"))
                                            .size()
                                    == 1);
            onPage().until(() ->
                    page.tailCount("dead_lettered") == poison && page.tailCount("acked") == messages - poison);
            page.assertFitsTheWidth("overview");
            screenshot(driver, "dashboard.png");

            // The table is re-rendered every second: a row found a moment ago may be gone by the click.
            onPage().until(() -> {
                driver.findElement(By.cssSelector("#agents tr[data-agent='" + traffic.agent + "'] a"))
                        .click();
                return true;
            });
            onPage().until(() -> page.number(By.id("dlq-count"), "value") == poison
                    && driver.findElements(By.cssSelector("#dlq-list li")).size() == poison
                    && driver.findElement(By.cssSelector("#dlq-list li pre"))
                            .getText()
                            .contains("\"kind\": \"poison\""));
            assertThat(driver.getCurrentUrl()).endsWith("/#/agent/" + traffic.agent);
            traffic.heal();
            driver.findElement(By.id("dlq-redrive-all")).click();
            page.confirm();

            onPage().until(() -> page.number(By.id("dlq-result"), "redriven") == poison
                    && page.agentPageFigure("dead_letters") == 0
                    && page.agentPageFigure("acked") == messages
                    && page.agentPageFigure("redriven") == poison
                    && page.number(By.id("dlq-count"), "value") == 0);
            System.out.println("RESULT scenario=browser-dashboard browser="
                    + ((HasCapabilities) driver).getCapabilities().getBrowserVersion()
                    + " page_updates_seen=" + page.updatesSeen() + " screenshot="
                    + Path.of("target", "dashboard.png").toAbsolutePath());
            assertThat(page.updatesSeen()).isGreaterThan(2);
        } catch (ConditionTimeoutException | AssertionError e) {
            screenshot(driver, "dashboard-failure.png");
            throw e;
        } finally {
            driver.quit();
        }
    }

    @Test
    void agentPagePeeksWithoutConsumingColoursOnlyProblemsAndMarksStaleFigures(LocalRedis redis, @TempDir Path profile)
            throws Exception {
        ChromeDriver driver = browser(profile);
        ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor();
        List<Subscription> subscriptions = new ArrayList<>();
        try (RunningServer server = new RunningServer(redis, BusOptions.builder())) {
            // A healthy busy agent: live, a message every 300 ms, each handled in 250 ms, so one is pending most of
            // the time and none for long.
            AgentId busy = AgentId.of("busy-" + System.nanoTime());
            server.bus().registry().publish(AgentCard.of(busy, "worker", "busy"));
            subscriptions.add(server.bus().subscribe(busy, delivery -> Thread.sleep(250)));
            sender.scheduleAtFixedRate(() -> send(server, busy, "work"), 0, 300, TimeUnit.MILLISECONDS);
            // A dead one: messages sent to it, and no instance ever runs.
            AgentId stalled = AgentId.of("stalled-" + System.nanoTime());
            List<MessageId> waiting = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                waiting.add(send(server, stalled, "order " + i));
            }
            Page page = new Page(driver, stalled.value());

            // The deep link opens the agent page, and its peek shows what waits there.
            driver.get(server.baseUri() + "/#/agent/" + stalled);
            onPage().alias("the deep link shows the stalled agent's messages")
                    .until(() -> driver.findElement(By.id("agent-id")).getText().equals(stalled.value())
                            && page.agentPageFigure("length") == 3
                            && page.peekedMessageIds().containsAll(idsOf(waiting)));
            JsonNode before = freshAgentStats(server, stalled);
            new Select(driver.findElement(By.id("peek-from"))).selectByValue("oldest");
            driver.findElement(By.id("peek-button")).click();
            onPage().until(() -> page.peekedMessageIds().equals(idsOf(waiting)));
            assertThat(driver.findElement(By.cssSelector("#peek-list li[data-message-id='" + waiting.get(0) + "'] pre"))
                            .getText())
                    .contains("\"text\": \"order 1\"");
            assertThat(driver.findElements(By.cssSelector("#peek-list li[data-unread='true']")))
                    .hasSize(3);
            JsonNode after = freshAgentStats(server, stalled);
            assertThat(after.path("pending").asLong())
                    .isEqualTo(before.path("pending").asLong())
                    .isZero();
            assertThat(after.path("unread")).isEqualTo(before.path("unread"));
            assertThat(after.path("counters").path("acked").asLong()).isZero();
            assertThat(server.bus().sync().inbox(stalled).groupExists())
                    .as("a peek delivers nothing: not even the consumer group exists")
                    .isFalse();
            page.assertFitsTheWidth("agent page");

            // Colours: none for the busy healthy agent; the stalled one red when the server gives it a status.
            driver.get(server.baseUri() + "/#/");
            Page overview = new Page(driver, busy.value());
            onPage().until(() -> overview.agentFigure("pending") > 0 && page.agentFigure("length") == 3);
            assertThat(overview.rowSeverity())
                    .as("a busy healthy agent is not coloured")
                    .isEmpty();
            assertThat(overview.cellColour("pending")).isNotEqualTo(PROBLEM_RED);
            assertThat(overview.cellColour("status")).isNotEqualTo(PROBLEM_RED);
            String stalledStatus =
                    freshAgentStats(server, stalled).path("status").asText("");
            if (stalledStatus.isEmpty()) {
                // /api/stats has no status yet (issue #19's core change): the page shows none and colours nothing.
                assertThat(page.rowSeverity()).isEmpty();
                assertThat(page.cellText("status")).isEqualTo("–");
            } else {
                assertThat(stalledStatus).isEqualTo("backlog");
                onPage().until(() -> page.rowSeverity().equals("red"));
                assertThat(page.cellBackground("status")).isEqualTo(PROBLEM_RED);
            }

            // The table filters and sorts.
            driver.findElement(By.id("agent-filter")).sendKeys("stalled-");
            onPage().until(() -> page.agentIdsShown().equals(List.of(stalled.value())));
            driver.findElement(By.id("agent-filter")).clear();
            driver.findElement(By.cssSelector("#agents th[data-sort='pending']"))
                    .click();
            driver.findElement(By.cssSelector("#agents th[data-sort='pending']"))
                    .click();
            onPage().until(() -> page.agentIdsShown().get(0).equals(busy.value()));
            onPage().until(() -> overview.number(By.cssSelector("#chart-rates canvas"), "points") >= 1);
            page.assertFitsTheWidth("overview");
            screenshot(driver, "dashboard-overview-status.png");

            // The busy agent's page: its consumer with idle time, its pending entries with their owner, and a history
            // that is the server's, so a reload shows it at once.
            await().atMost(PAGE_TIMEOUT).until(() -> {
                JsonNode sent = server.getJson("/api/history?agent=" + busy)
                        .path("series")
                        .path("sent_per_second");
                // Two rates in a row: three points of the agent, a line on the chart.
                return sent.size() >= 2
                        && !sent.get(sent.size() - 1).isNull()
                        && !sent.get(sent.size() - 2).isNull();
            });
            driver.get(server.baseUri() + "/#/agent/" + busy);
            driver.navigate().refresh();
            onPage().alias("the busy agent's page after a reload")
                    .until(() -> driver.findElements(By.cssSelector("#agent-consumers tbody tr[data-dead='false']"))
                                            .size()
                                    == 1
                            && !driver.findElements(By.cssSelector("#agent-pending tbody tr"))
                                    .isEmpty()
                            && overview.number(By.cssSelector("#chart-agent-rates canvas"), "points") >= 2
                            && overview.number(By.cssSelector("#chart-agent-depth canvas"), "points") >= 2);
            String consumer = driver.findElement(By.cssSelector("#agent-consumers tbody tr"))
                    .getDomAttribute("data-consumer");
            assertThat(driver.findElement(By.cssSelector("#agent-pending tbody tr"))
                            .getText())
                    .contains(consumer);
            assertThat(driver.findElements(By.cssSelector("#chart-agent-rates .legend li")))
                    .extracting(WebElement::getText)
                    .anySatisfy(legend -> assertThat(legend).startsWith("sent"));
            page.assertFitsTheWidth("agent page");
            screenshot(driver, "dashboard-agent.png");

            // What was peeked is still there to be handled.
            Set<String> received = ConcurrentHashMap.newKeySet();
            subscriptions.add(server.bus()
                    .subscribe(
                            stalled,
                            delivery ->
                                    received.add(delivery.envelope().messageId().value())));
            await().atMost(PAGE_TIMEOUT).until(() -> received.equals(idsOf(waiting)));

            // Redis stopped: a banner, greyed figures; back when Redis is.
            sender.shutdownNow();
            driver.get(server.baseUri() + "/#/");
            redis.stop();
            onPage().alias("the page marks stale figures")
                    .until(() -> driver.findElement(By.id("stale-banner")).isDisplayed()
                            && "true"
                                    .equals(driver.findElement(By.tagName("body"))
                                            .getDomAttribute("data-stale")));
            assertThat(driver.findElement(By.id("stale-banner")).getText()).contains("Redis");
            screenshot(driver, "dashboard-stale.png");
            redis.restart();
            onPage().alias("the stale marker goes when Redis is back")
                    .until(() -> !driver.findElement(By.id("stale-banner")).isDisplayed()
                            && "false"
                                    .equals(driver.findElement(By.tagName("body"))
                                            .getDomAttribute("data-stale")));
            System.out.println("RESULT scenario=browser-agent-page peeked=" + waiting.size()
                    + " consumed_by_peek=0 busy_agent_red=false stalled_status="
                    + (stalledStatus.isEmpty() ? "absent" : stalledStatus) + " stale_marked=true width=" + WIDTH);
        } catch (ConditionTimeoutException | AssertionError e) {
            screenshot(driver, "dashboard-failure.png");
            throw e;
        } finally {
            sender.shutdownNow();
            subscriptions.forEach(Subscription::close);
            driver.quit();
            if (!redis.isRunning()) {
                redis.restart();
            }
        }
    }

    private static MessageId send(RunningServer server, AgentId to, String text) {
        Envelope message = Envelope.builder()
                .from("browser_test")
                .to(to)
                .type("task")
                .payload(Map.of("text", text))
                .build();
        server.bus().sync().send(message);
        return message.messageId();
    }

    /** The agent's object in a sample of /api/stats taken after this call. */
    private static JsonNode freshAgentStats(RunningServer server, AgentId agent) {
        Instant asked = Instant.now();
        JsonNode stats = await().atMost(PAGE_TIMEOUT)
                .until(
                        () -> server.getJson("/api/stats"),
                        json -> Instant.parse(json.path("at").asText()).isAfter(asked));
        for (JsonNode figures : stats.path("agents")) {
            if (figures.path("agent").asText().equals(agent.value())) {
                return figures;
            }
        }
        throw new AssertionError(agent + " is not in /api/stats: " + stats);
    }

    private static Set<String> idsOf(List<MessageId> ids) {
        Set<String> values = new HashSet<>();
        ids.forEach(id -> values.add(id.value()));
        return values;
    }

    private static ChromeDriver browser(Path profile) {
        boolean browser = CHROMIUM.canExecute() && CHROMEDRIVER.canExecute();
        String missing = "no /usr/bin/chromium or /usr/bin/chromedriver: install the Debian packages chromium and"
                + " chromium-driver (.ci/run does)";
        assertThat(browser || !"true".equals(System.getenv("CI")))
                .as("CI never skips this test: " + missing)
                .isTrue();
        assumeTrue(browser, missing);
        return new ChromeDriver(
                new ChromeDriverService.Builder()
                        .usingDriverExecutable(CHROMEDRIVER)
                        .usingAnyFreePort()
                        .build(),
                options(profile));
    }

    /**
     * Saves the whole page at the test's width: the window is made as tall as the page for the shot, then put
     * back to 1366×768.
     */
    private static void screenshot(ChromeDriver driver, String name) throws Exception {
        // The window's height includes the browser's own bars: the page gets what remains.
        Number height = (Number) driver.executeScript(
                "return document.documentElement.scrollHeight + window.outerHeight - window.innerHeight");
        driver.manage().window().setSize(new Dimension(WIDTH, Math.max(HEIGHT, height.intValue())));
        try {
            Files.copy(
                    driver.getScreenshotAs(OutputType.FILE).toPath(),
                    Path.of("target", name),
                    StandardCopyOption.REPLACE_EXISTING);
        } finally {
            driver.manage().window().setSize(new Dimension(WIDTH, HEIGHT));
        }
    }

    /**
     * An await on the page's figures. The page re-renders its tables every second, so an element found
     * a moment ago can be replaced before it is read: such a read is simply tried again.
     */
    private static ConditionFactory onPage() {
        return await().atMost(PAGE_TIMEOUT).ignoreException(StaleElementReferenceException.class);
    }

    private static ChromeOptions options(Path profile) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--user-data-dir=" + profile,
                "--window-size=" + WIDTH + "," + HEIGHT);
        return options;
    }

    /** Reads the page's figures through its ids and data attributes, and counts the samples it has shown. */
    private static final class Page {
        private final ChromeDriver driver;
        private final String agent;
        private final Set<String> samplesShown = new HashSet<>();
        private boolean sentRateSeen;

        Page(ChromeDriver driver, String agent) {
            this.driver = driver;
            this.agent = agent;
        }

        /** A figure of the agent's row, or -1 while the row (or that cell) is not on the page. */
        long agentFigure(String field) {
            observe();
            String value = fresh(() -> {
                List<WebElement> cells = driver.findElements(By.cssSelector(row() + " td[data-field='" + field + "']"));
                return cells.isEmpty() ? "" : cells.get(0).getDomAttribute("data-value");
            });
            return value == null || value.isEmpty() ? -1 : Long.parseLong(value);
        }

        /** A figure of the agent page, or -1 while it is not shown. */
        long agentPageFigure(String field) {
            return (long) number(By.id("agent-figure-" + field), "value");
        }

        double number(By element, String dataAttribute) {
            try {
                String value = fresh(() -> driver.findElement(element).getDomAttribute("data-" + dataAttribute));
                return value == null || value.isEmpty() ? -1 : Double.parseDouble(value);
            } catch (NoSuchElementException e) {
                return -1;
            }
        }

        String rowSeverity() {
            String severity =
                    fresh(() -> driver.findElement(By.cssSelector(row())).getDomAttribute("data-severity"));
            return severity == null ? "" : severity;
        }

        String cellText(String field) {
            return fresh(() -> cellOf(field).getText());
        }

        String cellColour(String field) {
            return fresh(() -> cellOf(field).getCssValue("color"));
        }

        String cellBackground(String field) {
            return fresh(() -> cellOf(field).getCssValue("background-color"));
        }

        List<String> agentIdsShown() {
            return fresh(() -> driver.findElements(By.cssSelector("#agents tbody tr")).stream()
                    .map(tr -> tr.getDomAttribute("data-agent"))
                    .toList());
        }

        /**
         * Reads again when the page's refresh (every second) replaced an element between its finding and its
         * reading, as {@link #onPage()} does for the waits: a check outside a wait reads the page once.
         */
        private static <T> T fresh(Supplier<T> read) {
            for (int attempt = 1; ; attempt++) {
                try {
                    return read.get();
                } catch (StaleElementReferenceException e) {
                    if (attempt == 10) {
                        throw e;
                    }
                }
            }
        }

        Set<String> peekedMessageIds() {
            return fresh(() -> {
                Set<String> ids = new HashSet<>();
                driver.findElements(By.cssSelector("#peek-list li"))
                        .forEach(li -> ids.add(li.getDomAttribute("data-message-id")));
                return ids;
            });
        }

        long tailCount(String event) {
            return fresh(() -> driver.findElements(By.cssSelector("#tail li[data-event='" + event + "']")).stream()
                    .filter(entry -> entry.getText().contains(agent))
                    .count());
        }

        /** Clicks Confirm in the page's confirmation dialog, once it is open. */
        void confirm() {
            onPage().until(() -> driver.findElement(By.id("confirm")).isDisplayed());
            driver.findElement(By.id("confirm-ok")).click();
        }

        /** Nothing of the shown view lies beyond the window's width, so no control needs a horizontal scroll. */
        void assertFitsTheWidth(String view) {
            Object overflow = driver.executeScript("""
                    const width = document.documentElement.clientWidth;
                    const beyond = [...document.querySelectorAll(
                        'main:not([hidden]) button, main:not([hidden]) th, main:not([hidden]) input, main:not([hidden]) canvas')]
                      .filter(e => e.getBoundingClientRect().right > width + 0.5)
                      .map(e => e.id || e.textContent);
                    return {scroll: document.documentElement.scrollWidth, width: width, beyond: beyond.join(', ')};
                    """);
            @SuppressWarnings("unchecked")
            Map<String, Object> figures = (Map<String, Object>) overflow;
            assertThat(((Number) figures.get("width")).intValue())
                    .as("viewport width")
                    .isLessThanOrEqualTo(WIDTH);
            assertThat(((Number) figures.get("scroll")).intValue())
                    .as(view + " needs no horizontal scroll at " + WIDTH + " px")
                    .isLessThanOrEqualTo(((Number) figures.get("width")).intValue());
            assertThat((String) figures.get("beyond"))
                    .as(view + ": controls beyond the right edge")
                    .isEmpty();
        }

        /** Whether any sample shown so far had a sent rate above 0. */
        boolean sentRateSeen() {
            return sentRateSeen;
        }

        int updatesSeen() {
            return samplesShown.size();
        }

        private String row() {
            return "#agents tr[data-agent='" + agent + "']";
        }

        private WebElement cellOf(String field) {
            return driver.findElement(By.cssSelector(row() + " td[data-field='" + field + "']"));
        }

        /** Notes the sample the page shows now. */
        void observe() {
            samplesShown.add(fresh(() -> driver.findElement(By.id("stats-at")).getDomAttribute("data-at")));
            String rate = fresh(() -> driver.findElement(By.id("rate-sent")).getDomAttribute("data-value"));
            sentRateSeen |= rate != null && Double.parseDouble(rate) > 0;
        }
    }
}
