package dev.bicross.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every subcommand answers {@code --help}; unknown input is a usage error, not a stack trace. */
class HelpTest {

    /** The subcommands the README and issue 6 document. */
    private static final List<String> DOCUMENTED = List.of("demo", "tokenize", "embed", "rerank", "index", "search",
            "eval", "convert", "pull");

    @Test
    void everySubcommandHasHelp() {
        Set<String> registered = new CommandLine(new Main()).getSubcommands().keySet();
        assertTrue(registered.containsAll(DOCUMENTED), "registered: " + registered);
        for (String name : registered) {
            if (name.equals("help")) {
                continue;
            }
            CommandRun run = CommandRun.inProcess(name, "--help");
            assertEquals(0, run.exitCode(), name + ": " + run);
            assertTrue(run.out().startsWith("Usage: bicross " + name), name + ": " + run.out());
        }
        CommandRun top = CommandRun.inProcess("--help");
        assertEquals(0, top.exitCode(), top.toString());
        for (String name : DOCUMENTED) {
            assertTrue(top.out().contains("\n  " + name + " "), "bicross --help lists " + name + ":\n" + top.out());
        }
    }

    @Test
    void unknownOptionIsAUsageErrorWithoutStackTrace() {
        CommandRun run = CommandRun.inProcess("search", "--index", "x", "q", "--frobnicate");
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().contains("Unknown option: '--frobnicate'"), run.toString());
        assertTrue(!run.hasStackTrace(), run.toString());
    }
}
