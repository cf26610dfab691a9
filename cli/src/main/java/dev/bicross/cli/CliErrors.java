package dev.bicross.cli;

import picocli.CommandLine;

/**
 * Turns exceptions into one clear line on stderr and an exit code; {@code --verbose} (or {@code -v}) anywhere on
 * the command line, or {@code BICROSS_VERBOSE=1}, also prints the stack trace.
 */
final class CliErrors {

    /** Exit code for bad input or a failed operation (usage errors keep picocli's 2). */
    static final int FAILURE = 1;

    private CliErrors() {
    }

    static CommandLine configure(CommandLine cl) {
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean verbose = "1".equals(System.getenv("BICROSS_VERBOSE"))
                    || parseResult.originalArgs().contains("--verbose")
                    || parseResult.originalArgs().contains("-v");
            String message = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
            commandLine.getErr().println("bicross: " + message);
            if (verbose) {
                ex.printStackTrace(commandLine.getErr());
            } else {
                commandLine.getErr().println("(run with --verbose for details)");
            }
            return FAILURE;
        });
        return cl;
    }
}
