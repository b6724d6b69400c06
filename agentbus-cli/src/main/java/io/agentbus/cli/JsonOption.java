package io.agentbus.cli;

import picocli.CommandLine.Option;

/**
 * The {@code --json} option of the commands that can print JSON instead of text, mixed in with
 * {@code @Mixin}. What each command prints differs, so its description comes from the resource bundle
 * {@code io/agentbus/cli/help.properties}, keyed by the command's qualified name ({@code agentbus.inbox.json}).
 */
public final class JsonOption {

    @Option(names = "--json", descriptionKey = "json")
    private boolean json;

    /** True if {@code --json} was given. */
    public boolean requested() {
        return json;
    }
}
