package dev.bicross.bench.eval;

import dev.bicross.convert.DefaultModels;
import dev.bicross.engine.embed.BiEncoder;
import dev.bicross.retrieval.corpus.TestCollection;
import org.junit.jupiter.api.Test;

import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The evaluation cross-check on the smallest shared collection (adi, 82 documents, 35 queries): bicross' pipeline
 * (HNSW, no re-ranking) against ONNX Runtime embeddings with exact search.
 */
class OrtEvalCrossCheckTest {

    @Test
    void adiNdcgAgreesWithOnnxRuntimeAndExactSearch() throws Exception {
        Path adi = Path.of(System.getProperty("bicross.shared", "../shared"), "data", "adi");
        if (!Files.isDirectory(adi)) {
            System.out.println("OrtEvalCrossCheckTest skipped: no test collection at " + adi.toAbsolutePath());
        }
        assumeTrue(Files.isDirectory(adi), "no test collection at " + adi.toAbsolutePath());

        BiEncoder biEncoder = BiEncoder.load(DefaultModels.biEncoder());
        OrtEvalCrossCheck.Comparison c;
        try (OrtSentenceEmbedder ort = new OrtSentenceEmbedder(2)) {
            c = OrtEvalCrossCheck.compare(TestCollection.load(adi), biEncoder, OrtEvalCrossCheck.jarTokenizer(), ort,
                    new PrintStream(OutputStream.nullOutputStream()));
        }
        System.out.println(OrtEvalCrossCheck.row(c));

        assertEquals(82, c.documents());
        assertEquals(35, c.queries());
        // Embeddings: float32 engine vs float32 ORT, compared as cosines.
        assertTrue(c.maxScoreDifference() < 1e-4, "largest cosine difference " + c.maxScoreDifference());
        // 82 documents fit HNSW's efSearch of 100, so the search is exhaustive and the rankings must match.
        assertEquals(1.0, c.overlap100(), 1e-12);
        assertEquals(c.reference().ndcg10(), c.bicross().ndcg10(), OrtEvalCrossCheck.TOLERANCE);
        assertEquals(c.reference().mrr10(), c.bicross().mrr10(), OrtEvalCrossCheck.TOLERANCE);
        assertEquals(c.reference().recall100(), c.bicross().recall100(), OrtEvalCrossCheck.TOLERANCE);
        assertEquals(0, c.metricCodeDelta(), 1e-12);
    }
}
