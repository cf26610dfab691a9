package dev.bicross.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One run of the {@code bicross} command and what it printed: in this JVM through {@link Main#run(String...)} (the
 * commands print to {@code System.out}/{@code System.err}, which are swapped for the run), or in a child JVM when
 * the environment matters (the Hugging Face variables cannot be changed in-process).
 */
record CommandRun(int exitCode, String out, String err) {

    /** Runs {@code bicross args} in this JVM with empty stdin. */
    static CommandRun inProcess(String... args) {
        return inProcessWithStdin("", args);
    }

    /** Runs {@code bicross args} in this JVM with {@code stdin} as standard input. */
    static synchronized CommandRun inProcessWithStdin(String stdin, String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        InputStream oldIn = System.in;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new CommandRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setIn(oldIn);
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /**
     * Runs {@code bicross args} in a child JVM on this test's class path, with the Hugging Face and bicross
     * variables removed from the inherited environment and {@code env} added.
     */
    static CommandRun childJvm(Map<String, String> env, List<String> jvmOptions, List<String> args) {
        return childJvm(env, jvmOptions, "", args);
    }

    /** Same, with {@code stdin} as the child's standard input. */
    static CommandRun childJvm(Map<String, String> env, List<String> jvmOptions, String stdin, List<String> args) {
        return childJava(env, jvmOptions, System.getProperty("java.class.path"), Main.class.getName(), stdin, args);
    }

    /** Runs {@code mainClass} in a child JVM (Vector API module added), capturing its output; fails after 2 minutes. */
    static CommandRun childJava(Map<String, String> env, List<String> jvmOptions, String classPath, String mainClass,
                                String stdin, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--add-modules");
        command.add("jdk.incubator.vector");
        command.add("--enable-native-access=ALL-UNNAMED");
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(classPath);
        command.add(mainClass);
        command.addAll(args);
        try {
            Path in = Files.writeString(Files.createTempFile("bicross-child", ".in"), stdin);
            Path out = Files.createTempFile("bicross-child", ".out");
            Path err = Files.createTempFile("bicross-child", ".err");
            try {
                ProcessBuilder pb = new ProcessBuilder(command)
                        .redirectInput(in.toFile())
                        .redirectOutput(out.toFile())
                        .redirectError(err.toFile());
                pb.environment().keySet().removeIf(k -> k.startsWith("HF_") || k.startsWith("BICROSS_"));
                pb.environment().putAll(env);
                Process process = pb.start();
                if (!process.waitFor(2, TimeUnit.MINUTES)) {
                    process.destroyForcibly();
                    throw new AssertionError("child JVM did not finish in 2 minutes: " + command);
                }
                return new CommandRun(process.exitValue(), Files.readString(out), Files.readString(err));
            } finally {
                Files.deleteIfExists(in);
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /**
     * The first {@code bicross: } line on stderr: the error message (log records of the engine, e.g. the kernel
     * choice, may precede it in this JVM, where the launcher's one-line log format is not set).
     */
    String firstErrorLine() {
        return err.lines().filter(line -> line.startsWith("bicross: ")).findFirst().orElse("");
    }

    /** Whether stderr holds a Java stack trace. */
    boolean hasStackTrace() {
        return err.contains("\tat ");
    }

    @Override
    public String toString() {
        return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
}
