package dev.bicross.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bicross.engine.rerank.CrossEncoder;
import dev.bicross.engine.rerank.TextPair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bicross rerank}: stdin documents ordered by the cross-encoder's score. */
class RerankCommandTest {

    private static final String QUERY = "which instrument has six strings";
    private static final List<String> DOCUMENTS = List.of(
            "A man is playing guitar",
            "The cat sits outside",
            "I love pasta",
            "Violins have four strings and are played with a bow",
            "The stock market fell sharply on Monday",
            "Guitars usually have six strings tuned E A D G B E",
            "Fresh bread is baked every morning");
    private static final String STDIN = String.join("\n", DOCUMENTS) + "\n\n";
    private static final Pattern LINE = Pattern.compile("^ *(\\d+)\\. +(-?\\d+\\.\\d{4})  (.+)$");

    @TempDir
    Path temp;

    private record Ranked(int rank, double score, String text) {
    }

    private static List<Ranked> parse(String out) {
        List<Ranked> ranked = new ArrayList<>();
        for (String line : out.lines().toList()) {
            Matcher m = LINE.matcher(line);
            assertTrue(m.matches(), "unexpected line: " + line);
            ranked.add(new Ranked(Integer.parseInt(m.group(1)), Double.parseDouble(m.group(2)), m.group(3)));
        }
        return ranked;
    }

    @Test
    void ordersStdinDocumentsByTheCrossEncodersScore() throws IOException {
        CommandRun run = CommandRun.inProcessWithStdin(STDIN, "rerank", "--model", TestModels.crossEncoder().toString(),
                "--query", QUERY);

        assertEquals(0, run.exitCode(), run.toString());
        List<Ranked> ranked = parse(run.out());
        assertEquals(DOCUMENTS.size(), ranked.size(), "the blank line is not a document: " + run);
        assertEquals(new TreeSet<>(DOCUMENTS), new TreeSet<>(ranked.stream().map(Ranked::text).toList()));
        float[] expected = CrossEncoder.load(TestModels.crossEncoder())
                .predict(DOCUMENTS.stream().map(d -> new TextPair(QUERY, d)).toList());
        for (int i = 0; i < ranked.size(); i++) {
            Ranked r = ranked.get(i);
            assertEquals(i + 1, r.rank());
            assertEquals(expected[DOCUMENTS.indexOf(r.text())], r.score(), 1e-4, r.text());
            if (i > 0) {
                assertTrue(ranked.get(i - 1).score() >= r.score(), "not in score order: " + run.out());
            }
        }
        assertTrue(run.err().contains("7 documents scored by"), run.toString());
    }

    @Test
    void topKPrintsTheBestK() {
        CommandRun all = CommandRun.inProcessWithStdin(STDIN, "rerank", "--model", TestModels.crossEncoder().toString(),
                "-q", QUERY);
        CommandRun top = CommandRun.inProcessWithStdin(STDIN, "rerank", "--model", TestModels.crossEncoder().toString(),
                "-q", QUERY, "--top-k", "3");

        assertEquals(0, top.exitCode(), top.toString());
        assertEquals(parse(all.out()).subList(0, 3), parse(top.out()));
    }

    @Test
    void jsonLinesParseAndCarryIndexScoreAndText() throws IOException {
        CommandRun run = CommandRun.inProcessWithStdin(STDIN, "rerank", "--model", TestModels.crossEncoder().toString(),
                "-q", QUERY, "--json", "-k", "4");

        assertEquals(0, run.exitCode(), run.toString());
        List<String> lines = run.out().lines().toList();
        assertEquals(4, lines.size(), run.toString());
        ObjectMapper mapper = new ObjectMapper();
        double previous = Double.POSITIVE_INFINITY;
        for (int i = 0; i < lines.size(); i++) {
            JsonNode node = mapper.readTree(lines.get(i));
            assertEquals(i + 1, node.get("rank").asInt());
            int index = node.get("index").asInt();
            assertEquals(DOCUMENTS.get(index), node.get("text").asText(), "index points at the stdin line");
            double score = node.get("score").asDouble();
            assertTrue(score <= previous, "not in score order: " + run.out());
            previous = score;
        }
    }

    @Test
    void withoutTheDefaultCrossEncoderItSaysWhatIsMissingAndHowToFetchIt() throws IOException {
        Path emptyHubCache = Files.createDirectories(temp.resolve("hf-hub"));
        CommandRun run = CommandRun.childJvm(Map.of("HF_HUB_CACHE", emptyHubCache.toString(), "HF_HUB_OFFLINE", "1"),
                List.of("-Dbicross.cache=" + TestModels.cache()), STDIN, List.of("rerank", "-q", QUERY));

        assertEquals(CliErrors.FAILURE, run.exitCode(), run.toString());
        assertEquals("", run.out());
        assertTrue(run.err().contains("Cross-encoder cross-encoder/ms-marco-MiniLM-L6-v2 is not available"),
                run.toString());
        assertTrue(run.err().contains("./bicross pull cross-encoder/ms-marco-MiniLM-L6-v2"), run.toString());
        assertEquals("bicross: no cross-encoder to re-rank with (see above)", run.firstErrorLine(), run.toString());
        assertFalse(run.hasStackTrace(), run.toString());
    }

    @Test
    void emptyStdinAndBadTopKAreOneLineErrors() {
        CommandRun empty = CommandRun.inProcessWithStdin("\n  \n", "rerank", "--model", TestModels.crossEncoder().toString(),
                "-q", QUERY);
        assertEquals(CliErrors.FAILURE, empty.exitCode(), empty.toString());
        assertEquals("bicross: no documents on stdin (one per line)", empty.firstErrorLine(), empty.toString());
        assertFalse(empty.hasStackTrace(), empty.toString());

        CommandRun zero = CommandRun.inProcessWithStdin(STDIN, "rerank", "--model", TestModels.crossEncoder().toString(),
                "-q", QUERY, "--top-k", "0", "--verbose");
        assertEquals(CliErrors.FAILURE, zero.exitCode(), zero.toString());
        assertTrue(zero.firstErrorLine().contains("--top-k must be at least 1, got 0"), zero.toString());
        assertTrue(zero.hasStackTrace(), "--verbose prints the stack trace: " + zero);
    }
}
