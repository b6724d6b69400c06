package io.agentbus.cli.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.agentbus.BusOptions;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.testkit.RedisServerExtension;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.awaitility.core.ConditionFactory;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
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
 * The dashboard in a real headless Chromium, driven through the system's chromedriver (never one that
 * Selenium Manager would download): the page's numbers follow the traffic, and its redrive button works.
 */
@ExtendWith(RedisServerExtension.class)
class DashboardBrowserIT {

    private static final File CHROMIUM = new File("/usr/bin/chromium");
    private static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");
    private static final Duration PAGE_TIMEOUT = Duration.ofSeconds(20);
    private static final int BATCHES = 4;
    private static final Duration BATCH_SPACING = Duration.ofMillis(700);

    @Test
    void pageFollowsTheTrafficAndRedrivesDeadLetters(LocalRedis redis, @TempDir Path profile) throws Exception {
        boolean browser = CHROMIUM.canExecute() && CHROMEDRIVER.canExecute();
        String missing = "no /usr/bin/chromium or /usr/bin/chromedriver: install the Debian packages chromium and"
                + " chromium-driver (.ci/run does)";
        assertThat(browser || !"true".equals(System.getenv("CI")))
                .as("CI never skips this test: " + missing)
                .isTrue();
        assumeTrue(browser, missing);
        int messages = 40;
        int poisonEvery = 10;
        int poison = ScriptedTraffic.poisonOf(messages, poisonEvery);
        ChromeDriver driver = new ChromeDriver(
                new ChromeDriverService.Builder()
                        .usingDriverExecutable(CHROMEDRIVER)
                        .usingAnyFreePort()
                        .build(),
                options(profile));
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

            new Select(driver.findElement(By.id("dlq-agent"))).selectByValue(traffic.agent.value());
            onPage().until(() -> page.number(By.id("dlq-count"), "value") == poison
                    && driver.findElements(By.cssSelector("#dlq-list tbody tr")).size() == poison);
            traffic.heal();
            driver.findElement(By.id("dlq-redrive-all")).click();

            onPage().until(() -> page.number(By.id("dlq-result"), "redriven") == poison
                    && page.agentFigure("dead_letters") == 0
                    && page.agentFigure("acked") == messages
                    && page.agentFigure("redriven") == poison
                    && page.number(By.id("dlq-count"), "value") == 0);
            Path screenshot = Path.of("target", "dashboard.png").toAbsolutePath();
            Files.copy(
                    driver.getScreenshotAs(OutputType.FILE).toPath(), screenshot, StandardCopyOption.REPLACE_EXISTING);
            System.out.println("RESULT scenario=browser-dashboard browser="
                    + ((HasCapabilities) driver).getCapabilities().getBrowserVersion()
                    + " page_updates_seen=" + page.updatesSeen() + " screenshot=" + screenshot);
            assertThat(page.updatesSeen()).isGreaterThan(2);
        } catch (ConditionTimeoutException | AssertionError e) {
            Files.copy(
                    driver.getScreenshotAs(OutputType.FILE).toPath(),
                    Path.of("target", "dashboard-failure.png"),
                    StandardCopyOption.REPLACE_EXISTING);
            throw e;
        } finally {
            driver.quit();
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
                "--window-size=1400,1100");
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
            List<WebElement> cells = driver.findElements(
                    By.cssSelector("#agents tr[data-agent='" + agent + "'] td[data-field='" + field + "']"));
            return cells.isEmpty() ? -1 : Long.parseLong(cells.get(0).getDomAttribute("data-value"));
        }

        double number(By element, String dataAttribute) {
            observe();
            try {
                String value = driver.findElement(element).getDomAttribute("data-" + dataAttribute);
                return value == null || value.isEmpty() ? -1 : Double.parseDouble(value);
            } catch (NoSuchElementException e) {
                return -1;
            }
        }

        long tailCount(String event) {
            return driver.findElements(By.cssSelector("#tail li[data-event='" + event + "']")).stream()
                    .filter(entry -> entry.getText().contains(agent))
                    .count();
        }

        /** Whether any sample shown so far had a sent rate above 0. */
        boolean sentRateSeen() {
            return sentRateSeen;
        }

        int updatesSeen() {
            return samplesShown.size();
        }

        private void observe() {
            samplesShown.add(driver.findElement(By.id("stats-at")).getDomAttribute("data-at"));
            String rate = driver.findElement(By.id("rate-sent")).getDomAttribute("data-value");
            sentRateSeen |= rate != null && Double.parseDouble(rate) > 0;
        }
    }
}
