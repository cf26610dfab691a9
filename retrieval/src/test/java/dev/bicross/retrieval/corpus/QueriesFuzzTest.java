package dev.bicross.retrieval.corpus;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzz target of {@link Corpora#readQueries} (BEIR {@code queries.jsonl}): queries with non-blank unique ids and
 * non-null text, or a {@link CorpusFormatException} naming the file; nothing else escapes.
 */
class QueriesFuzzTest extends BeirFilesFuzzTest {

    @FuzzTest
    @Timeout(10)
    void queries(byte[] bytes) throws IOException {
        Path file = Files.write(dir.resolve("queries.jsonl"), bytes);
        try {
            Set<String> ids = new HashSet<>();
            for (Query q : Corpora.readQueries(file)) {
                assertFalse(q.id().isBlank(), "blank query id");
                assertTrue(ids.add(q.id()), () -> "duplicate id " + q.id());
                assertNotNull(q.text());
            }
        } catch (CorpusFormatException e) {
            assertNamesFile(e, file);
        }
    }
}
