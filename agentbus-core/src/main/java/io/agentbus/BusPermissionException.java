package io.agentbus;

import java.util.List;

/**
 * The Redis ACL user of the bus may not run a command, or may not touch a key or channel, that an
 * operation needs: a {@code NOPERM} reply, or a script that stopped on {@code The user executing the
 * script can't run this command} (Redis does not say which command; the bus reads it from the
 * script's line). {@link #missing()} names each command ({@code XAUTOCLAIM}, {@code XINFO|GROUPS}), key
 * pattern ({@code keys audit:*}) or channel ({@code channels events:*}) that was refused, so that the
 * fix, an {@code ACL SETUSER} line of docs/SECURITY.md, is plain.
 *
 * <p>Retrying does not help until the ACL changes; a reader that meets it backs off.
 */
public class BusPermissionException extends BusAuthException {

    private final List<String> missing;

    public BusPermissionException(String message, List<String> missing, Throwable cause) {
        super(message, cause);
        this.missing = List.copyOf(missing);
    }

    /** What was refused: commands as Redis names them in upper case, then {@code keys ...} and {@code channels ...}. */
    public List<String> missing() {
        return missing;
    }
}
