package dev.bicross.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code bicross} command: bi-encoder retrieval and cross-encoder re-ranking in pure Java. */
@Command(name = "bicross",
        mixinStandardHelpOptions = true,
        version = "bicross 0.1.0-SNAPSHOT",
        description = "Bi-encoder retrieval and cross-encoder re-ranking in pure Java.",
        subcommands = {
                CommandLine.HelpCommand.class,
                EmbedCommand.class,
                PullCommand.class,
        })
public final class Main implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (used by tests, which must not call System.exit). */
    public static int run(String... args) {
        return CliErrors.configure(new CommandLine(new Main())).execute(args);
    }
}
