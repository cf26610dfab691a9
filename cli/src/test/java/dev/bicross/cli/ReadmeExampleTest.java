package dev.bicross.cli;

import dev.bicross.convert.TestCrossEncoders;
import dev.bicross.engine.rerank.CrossEncoder;
import dev.bicross.engine.rerank.TextPair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's library example, compiled with javax.tools and run in a child JVM exactly as written: the default
 * bi-encoder comes from the test's bicross cache, and cross-encoder/ms-marco-MiniLM-L6-v2 resolves offline from a
 * Hugging Face cache holding the test cross-encoder under that name.
 */
class ReadmeExampleTest {

    private static final String CROSS_ENCODER_ID = "cross-encoder/ms-marco-MiniLM-L6-v2";
    private static final String COMMIT = "c5ee24cb16019beea0893ab7796b1df96625c6b8";
    private static final Pattern HIT = Pattern.compile(
            "^(\\S+) +cross-encoder +(-?\\d+\\.\\d{3}) +bi-encoder (-?\\d\\.\\d{3}) \\(#(\\d+)\\)$");

    @TempDir
    Path temp;

    /** The java block between {@code <!-- example:start -->} and {@code <!-- example:end -->} in README.md. */
    static String exampleSource() throws IOException {
        Path readme = null;
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("README.md")) && Files.isDirectory(dir.resolve("cli"))) {
                readme = dir.resolve("README.md");
                break;
            }
        }
        assertNotNull(readme, "README.md of the project not found above " + Path.of("").toAbsolutePath());
        String text = Files.readString(readme);
        int start = text.indexOf("<!-- example:start -->");
        int end = text.indexOf("<!-- example:end -->");
        assertTrue(start >= 0 && end > start, "README.md lacks the example markers");
        Matcher block = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(text.substring(start, end));
        assertTrue(block.find(), "no ```java block between the README example markers");
        return block.group(1);
    }

    @Test
    void readmeExampleCompilesAndPrintsRankedResults() throws IOException {
        String source = exampleSource();
        Matcher className = Pattern.compile("public\\s+class\\s+(\\w+)").matcher(source);
        assertTrue(className.find(), "the README example is not a public class");
        Path src = Files.createDirectories(temp.resolve("src"));
        Path classes = Files.createDirectories(temp.resolve("classes"));
        Path file = Files.writeString(src.resolve(className.group(1) + ".java"), source);

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        String classPath = System.getProperty("java.class.path");
        int compiled = javac.run(null, diagnostics, diagnostics, "-classpath", classPath, "-d", classes.toString(),
                "--add-modules", "jdk.incubator.vector", "-Xlint:-incubating", file.toString());
        assertEquals(0, compiled, "the README example does not compile:\n"
                + diagnostics.toString(StandardCharsets.UTF_8));

        Path hubCache = temp.resolve("hf-hub");
        TestCrossEncoders.installInHubCache(TestModels.crossEncoder(), hubCache, CROSS_ENCODER_ID, COMMIT);
        CommandRun run = CommandRun.childJava(
                Map.of("HF_HUB_CACHE", hubCache.toString(), "HF_HUB_OFFLINE", "1"),
                List.of("-Dbicross.cache=" + TestModels.cache()),
                classes + File.pathSeparator + classPath, className.group(1), "", List.of());

        assertEquals(0, run.exitCode(), run.toString());
        List<String> ids = new ArrayList<>();
        List<Double> scores = new ArrayList<>();
        for (String line : run.out().lines().toList()) {
            Matcher m = HIT.matcher(line);
            assertTrue(m.matches(), "unexpected line: " + line + "\n" + run);
            ids.add(m.group(1));
            scores.add(Double.parseDouble(m.group(2)));
        }
        assertEquals(3, ids.size(), run.toString());
        assertEquals(List.of("cat", "guitar", "pasta"), ids.stream().sorted().toList(), run.toString());
        Map<String, String> texts = Map.of("cat", "The cat sits outside", "guitar", "A man is playing guitar",
                "pasta", "I love pasta");
        CrossEncoder crossEncoder = CrossEncoder.load(TestModels.crossEncoder());
        for (int i = 0; i < ids.size(); i++) {
            if (i > 0) {
                assertTrue(scores.get(i - 1) >= scores.get(i), "not ranked by score:\n" + run.out());
            }
            float expected = crossEncoder.predict(List.of(
                    new TextPair("How to play musical instruments?", texts.get(ids.get(i)))))[0];
            assertEquals(expected, scores.get(i), 1e-3, "the example's score of " + ids.get(i) + " is the test "
                    + "cross-encoder's, resolved through the Hugging Face cache");
        }
    }
}
