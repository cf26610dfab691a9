package dev.bicross.retrieval.corpus;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Fuzz target of {@link Corpora#readQrels} (BEIR {@code qrels.tsv}): judgements that answer every lookup they list,
 * or a {@link CorpusFormatException} naming the file and line; nothing else escapes.
 */
class QrelsFuzzTest extends BeirFilesFuzzTest {

    @FuzzTest
    @Timeout(10)
    void qrels(byte[] bytes) throws IOException {
        Path file = Files.write(dir.resolve("qrels.tsv"), bytes);
        try {
            Qrels qrels = Corpora.readQrels(file);
            for (String query : qrels.queryIds()) {
                qrels.of(query).forEach((doc, grade) -> {
                    assertNotNull(doc);
                    assertNotNull(grade);
                });
                assertEquals(qrels.of(query).values().stream().anyMatch(g -> g > 0), qrels.hasRelevant(query));
            }
        } catch (CorpusFormatException e) {
            assertNamesFile(e, file);
        }
    }
}
