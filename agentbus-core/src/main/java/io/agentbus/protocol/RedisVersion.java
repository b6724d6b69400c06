package io.agentbus.protocol;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Redis server version, compared to decide which commands a server has. The protocol's scripts need
 * at least {@link #MINIMUM}.
 */
public record RedisVersion(int major, int minor, int patch) implements Comparable<RedisVersion> {

    /** The oldest server agentbus runs on: XAUTOCLAIM and XADD's NOMKSTREAM/LIMIT arrived in 6.2. */
    public static final RedisVersion MINIMUM = new RedisVersion(6, 2, 0);

    private static final Pattern VERSION = Pattern.compile("(\\d+)\\.(\\d+)(?:\\.(\\d+))?");

    /** Parses {@code "7.0.15"} or the first such version inside a longer text. */
    public static RedisVersion parse(String text) {
        Matcher matcher = VERSION.matcher(text == null ? "" : text);
        if (!matcher.find()) {
            throw new IllegalArgumentException("no Redis version in '" + text + "'");
        }
        return new RedisVersion(
                Integer.parseInt(matcher.group(1)),
                Integer.parseInt(matcher.group(2)),
                matcher.group(3) == null ? 0 : Integer.parseInt(matcher.group(3)));
    }

    public boolean atLeast(int major, int minor) {
        return compareTo(new RedisVersion(major, minor, 0)) >= 0;
    }

    @Override
    public int compareTo(RedisVersion other) {
        int byMajor = Integer.compare(major, other.major);
        if (byMajor != 0) {
            return byMajor;
        }
        int byMinor = Integer.compare(minor, other.minor);
        return byMinor != 0 ? byMinor : Integer.compare(patch, other.patch);
    }

    @Override
    public String toString() {
        return major + "." + minor + "." + patch;
    }
}
