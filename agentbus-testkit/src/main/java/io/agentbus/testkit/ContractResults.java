package io.agentbus.testkit;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Counts the outcomes of one {@link AgentBusContract} class and prints them as one line when the class
 * is done, {@code RESULT scenario=contract topology=<topology> passed=N failed=M}, the form the
 * reliability scenarios print, so that CI can collect one figure per bus. An aborted test (an
 * assumption that did not hold) and a disabled one count as neither; a failure outside any test (a
 * fixture that would not start) counts as one failed.
 */
final class ContractResults implements TestWatcher, AfterAllCallback {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(ContractResults.class);

    @Override
    public void testSuccessful(ExtensionContext context) {
        tally(context).passed.incrementAndGet();
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        tally(context).failed.incrementAndGet();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        Tally tally = tally(context);
        int failed = tally.failed.get() + (context.getExecutionException().isPresent() ? 1 : 0);
        String topology = context.getTestInstance()
                .filter(AgentBusContract.class::isInstance)
                .map(instance -> ((AgentBusContract) instance).topology())
                .orElse(context.getRequiredTestClass().getSimpleName());
        System.out.println("RESULT scenario=contract topology=" + topology + " passed=" + tally.passed.get()
                + " failed=" + failed);
    }

    /** The counts of the test class, kept in its store whichever test or class context asks. */
    private static Tally tally(ExtensionContext context) {
        ExtensionContext classContext = context;
        while (classContext.getTestMethod().isPresent()) {
            Optional<ExtensionContext> parent = classContext.getParent();
            if (parent.isEmpty()) {
                break;
            }
            classContext = parent.get();
        }
        return classContext.getStore(NAMESPACE).getOrComputeIfAbsent(Tally.class, key -> new Tally(), Tally.class);
    }

    private static final class Tally {
        final AtomicInteger passed = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
    }
}
