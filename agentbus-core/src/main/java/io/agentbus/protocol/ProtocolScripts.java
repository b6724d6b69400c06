package io.agentbus.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The Lua scripts of the protocol (repository directory {@code protocol/lua/}, packaged in this jar as
 * {@code io/agentbus/redis/*.lua}), as they are run. Redis 6.2 has no way for one script to include
 * another, so the facts and functions scripts share (protocol.lua, audit_record.lua,
 * store_messages.lua) are prepended: the first line of every script that is run names them, in order
 * ({@code -- Prepend: protocol.lua audit_record.lua}), for clients in every language alike.
 */
public final class ProtocolScripts {

    /** What starts the first line of every script that is run. */
    public static final String PREPEND = "-- Prepend:";

    private static final String PACKAGE = "/io/agentbus/redis/";

    private ProtocolScripts() {}

    /** The text of script {@code name} (e.g. {@code send.lua}) as it is run: the files its first line names, then itself. */
    public static String source(String name) {
        String script = file(name);
        String first = script.lines().findFirst().orElse("");
        if (!first.startsWith(PREPEND)) {
            throw new IllegalArgumentException(name + " does not start with a '" + PREPEND + " <files>' line");
        }
        StringBuilder source = new StringBuilder();
        for (String prepended : first.substring(PREPEND.length()).trim().split("\\s+")) {
            source.append(file(prepended));
        }
        return source.append(script).toString();
    }

    /** The text of file {@code name} of {@code protocol/lua/}, alone. */
    public static String file(String name) {
        try (InputStream in = ProtocolScripts.class.getResourceAsStream(PACKAGE + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no protocol script " + name + " in agentbus-core");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read protocol script " + name, e);
        }
    }
}
