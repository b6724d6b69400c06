package io.agentbus.reliability;

/**
 * Sizes of the reliability scenarios. CI runs the small ones, so that the module's suite stays a
 * matter of a minute or two on a 2-core machine; {@code -Pchaos} (or {@code -Dagentbus.chaos=true})
 * selects the sizes named in the reliability issue.
 */
final class Scale {

    static final boolean CHAOS = Boolean.getBoolean("agentbus.chaos");

    private Scale() {}

    /** {@code ci} normally, {@code chaos} under {@code -Pchaos}. */
    static int of(int ci, int chaos) {
        return CHAOS ? chaos : ci;
    }
}
