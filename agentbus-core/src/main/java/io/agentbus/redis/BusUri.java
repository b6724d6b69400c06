package io.agentbus.redis;

import io.lettuce.core.RedisURI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the bus connects: the parsed form of a {@code redis://}, {@code rediss://},
 * {@code redis-sentinel://} or {@code redis-cluster://} URI.
 */
record BusUri(Mode mode, List<RedisURI> nodes) {

    enum Mode {
        STANDALONE,
        SENTINEL,
        CLUSTER
    }

    private static final String CLUSTER_SCHEME = "redis-cluster://";

    BusUri {
        nodes = List.copyOf(nodes);
    }

    static BusUri parse(String uri) {
        if (uri == null || uri.isBlank()) {
            throw new IllegalArgumentException("Redis URI is required, e.g. redis://localhost:6379");
        }
        String text = uri.trim();
        String lower = text.toLowerCase(Locale.ROOT);
        try {
            if (text.contains("://")) {
                checkPorts(text);
            }
            if (lower.startsWith(CLUSTER_SCHEME)) {
                // Lettuce has no cluster scheme: a cluster URI is a list of seed nodes.
                List<RedisURI> seeds = new ArrayList<>();
                String rest = text.substring(CLUSTER_SCHEME.length());
                String credentials = rest.contains("@") ? rest.substring(0, rest.lastIndexOf('@') + 1) : "";
                String hosts = rest.substring(credentials.length()).split("[/?]", 2)[0];
                for (String host : hosts.split(",")) {
                    seeds.add(RedisURI.create("redis://" + credentials + host));
                }
                return new BusUri(Mode.CLUSTER, seeds);
            }
            if (lower.startsWith("redis-sentinel://")) {
                return new BusUri(Mode.SENTINEL, List.of(RedisURI.create(text)));
            }
            if (lower.startsWith("redis://") || lower.startsWith("rediss://")) {
                return new BusUri(Mode.STANDALONE, List.of(RedisURI.create(text)));
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot parse Redis URI '" + masked(text) + "': " + e.getMessage(), e);
        }
        throw new IllegalArgumentException("unsupported Redis URI '" + masked(text)
                + "': use redis://, rediss://, redis-sentinel:// or redis-cluster://");
    }

    /**
     * Refuses a port that is not a number from 1 to 65535: Lettuce would read {@code redis://host:abc} as
     * the host {@code host:abc} on the default port, and fail later with a message about DNS.
     */
    private static void checkPorts(String text) {
        String rest = text.substring(text.indexOf("://") + 3);
        String hosts = rest.substring(rest.lastIndexOf('@') + 1).split("[/?#]", 2)[0];
        for (String host : hosts.split(",")) {
            int colon = host.lastIndexOf(':');
            if (colon < 0 || colon < host.lastIndexOf(']')) {
                continue; // no port: the default one
            }
            String port = host.substring(colon + 1);
            if (!port.matches("\\d{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65_535) {
                throw new IllegalArgumentException(
                        "the port of '" + host + "' must be a number from 1 to 65535, was '" + port + "'");
            }
        }
    }

    /** What the bus names in messages and logs: the URI without its password (a cluster's seed list). */
    String shown() {
        if (mode != Mode.CLUSTER) {
            return masked(nodes.get(0).toString());
        }
        StringBuilder shown = new StringBuilder(CLUSTER_SCHEME);
        for (RedisURI node : nodes) {
            shown.append(shown.length() > CLUSTER_SCHEME.length() ? "," : "")
                    .append(node.getHost())
                    .append(':')
                    .append(node.getPort());
        }
        return shown.toString();
    }

    /**
     * The URI without its password, for messages and logs: a fixed {@code ***} whatever the password's
     * length (Lettuce's own {@code toString} writes one {@code *} per character, which tells the length).
     */
    static String masked(String uri) {
        Matcher userInfo = USER_INFO.matcher(uri);
        if (!userInfo.find()) {
            return uri;
        }
        String credentials = userInfo.group(2);
        int colon = credentials.indexOf(':');
        String shown = colon < 0 ? "***" : credentials.substring(0, colon) + ":***";
        return uri.substring(0, userInfo.start(2)) + shown + uri.substring(userInfo.end(2));
    }

    /** {@code scheme://} then the user information up to the last {@code @} before the host's path. */
    private static final Pattern USER_INFO = Pattern.compile("^([a-zA-Z][a-zA-Z0-9+.-]*://)([^/?#]*)@");
}
