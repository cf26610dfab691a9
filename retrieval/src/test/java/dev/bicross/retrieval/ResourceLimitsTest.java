package dev.bicross.retrieval;

import dev.bicross.engine.TinyBert;
import dev.bicross.engine.embed.BiEncoder;
import dev.bicross.engine.embed.Embedding;
import dev.bicross.engine.kernel.Kernels;
import dev.bicross.engine.rerank.CrossEncoder;
import dev.bicross.engine.safetensors.SafetensorsWriter;
import dev.bicross.retrieval.chunk.Chunk;
import dev.bicross.retrieval.chunk.Chunker;
import dev.bicross.retrieval.chunk.ChunkingSettings;
import dev.bicross.retrieval.corpus.Corpora;
import dev.bicross.retrieval.corpus.CorpusFormatException;
import dev.bicross.retrieval.corpus.Document;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedWriter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Oversized inputs, each handled in a child JVM limited to {@value #HEAP} of heap, which is what proves the
 * memory bound: a 10 MB document (truncated by the bi-encoder, chunked by the retriever), a corpus line of 100 MB
 * (refused with a message naming the line), a query of 1 MB (truncated by both encoders), a batch of 100,000
 * texts (encoded batch by batch). The child prints its peak heap; an OutOfMemoryError fails the test.
 */
class ResourceLimitsTest {

    static final String HEAP = "256m";
    static final String BATCH_HEAP = "96m";

    @TempDir
    static Path dir;
    static Path bi;
    static Path cross;

    private static Path folder(TinyBert bert, String name) throws IOException {
        Path folder = bert.write(dir.resolve(name), bert.labels > 0 ? "bert." : "", SafetensorsWriter.Dtype.F32);
        String words = IntStream.range(0, bert.vocab - 5).mapToObj(i -> "w" + i).collect(Collectors.joining("\n"));
        Files.writeString(folder.resolve("vocab.txt"), "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n" + words + "\n");
        return folder;
    }

    @BeforeAll
    static void models() throws IOException {
        bi = folder(new TinyBert(1, 16, 4, 40, 2, 50, 64, 2, 0), "bi");
        cross = folder(new TinyBert(3, 16, 4, 40, 2, 50, 64, 2, 1), "cross");
    }

    /** About {@code chars} characters of words from the vocabulary, with an unknown word now and then. */
    static String words(int chars, long seed) {
        Random random = new Random(seed);
        StringBuilder sb = new StringBuilder(chars + 16);
        while (sb.length() < chars) {
            sb.append(random.nextInt(20) == 0 ? "zebra" : "w" + random.nextInt(45)).append(' ');
        }
        sb.setLength(chars);
        return sb.toString();
    }

    @Test
    void tenMegabyteDocumentIsTruncatedAndChunked() throws Exception {
        assertTrue(runChild("document", HEAP).contains("ok document"));
    }

    @Test
    void hundredMegabyteCorpusLineIsRefusedWithAMessage() throws Exception {
        Path corpus = dir.resolve("corpus.jsonl");
        try (BufferedWriter out = Files.newBufferedWriter(corpus, StandardCharsets.UTF_8)) {
            out.write("{\"_id\": \"d1\", \"text\": \"w1 w2\"}\n{\"_id\": \"huge\", \"text\": \"");
            String block = words(1 << 20, 9);
            for (int i = 0; i < 100; i++) {
                out.write(block);
            }
            out.write("\"}\n{\"_id\": \"d3\", \"text\": \"w3\"}\n");
        }
        String out = runChild("corpusLine", HEAP, corpus.toString());
        assertTrue(out.contains("ok corpusLine"), out);
    }

    @Test
    void oneMegabyteQueryIsTruncatedByBothStages() throws Exception {
        assertTrue(runChild("query", HEAP).contains("ok query"));
    }

    @Test
    void hundredThousandTextsAreEncodedInBoundedMemory() throws Exception {
        // Tighter still: the 100,000 inputs and outputs take ~25 MB; tokenizing all texts up front took ~150 MB more.
        assertTrue(runChild("batch", BATCH_HEAP).contains("ok batch"));
    }

    private static String runChild(String scenario, String heap, String... extra) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-Xmx" + heap, "-XX:+ExitOnOutOfMemoryError",
                "-cp", System.getProperty("java.class.path"), Child.class.getName(), scenario, bi.toString(),
                cross.toString()));
        command.addAll(List.of(extra));
        Path log = dir.resolve(scenario + ".log");
        Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!child.waitFor(5, java.util.concurrent.TimeUnit.MINUTES)) {
            child.destroyForcibly();
            throw new AssertionError(scenario + " did not finish in 5 minutes");
        }
        int exit = child.exitValue();
        String out = Files.readString(log);
        System.out.print("[limits] " + out);
        assertEquals(0, exit, scenario + " under -Xmx" + heap + " failed:\n" + out);
        return out;
    }

    /** The child: runs one scenario and prints "ok scenario ..." with its peak heap. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            String scenario = args[0];
            BiEncoder biEncoder = BiEncoder.load(Path.of(args[1]), Kernels.create());
            CrossEncoder crossEncoder = CrossEncoder.load(Path.of(args[2]), Kernels.create());
            String detail = switch (scenario) {
                case "document" -> document(biEncoder);
                case "corpusLine" -> corpusLine(Path.of(args[3]));
                case "query" -> query(biEncoder, crossEncoder);
                case "batch" -> batch(biEncoder);
                default -> throw new IllegalArgumentException(scenario);
            };
            System.out.println("ok " + scenario + ": " + detail + "; old-generation peak " + peakHeapMb() + " MB");
        }

        static String document(BiEncoder biEncoder) {
            String text = words(10 << 20, 1);
            Embedding e = biEncoder.encodeDetailed(text);
            check(e.truncated(), "a 10 MB text must be truncated");
            check(e.tokenCount() == biEncoder.settings().maxSeqLength(), "tokens " + e.tokenCount());
            Chunker chunker = new Chunker(biEncoder.tokenizer(), new ChunkingSettings(60, 8));
            List<Chunk> chunks = chunker.split(text);
            long covered = chunks.getLast().end();
            check(covered == text.length(), "chunks end at " + covered + " of " + text.length());
            Retriever retriever = Retriever.builder(biEncoder).chunking(new ChunkingSettings(60, 8)).build();
            String oneMb = text.substring(0, 1 << 20);
            retriever.add(new Document("big", "", oneMb));
            check(retriever.size() == 1, "size " + retriever.size());
            return "10 MB text truncated to " + e.tokenCount() + " tokens, cut into " + chunks.size()
                    + " chunks; a 1 MB document indexed as " + retriever.passageCount() + " passages";
        }

        static String corpusLine(Path corpus) throws IOException {
            try {
                List<Document> docs = Corpora.readJsonl(corpus);
                throw new AssertionError("a 100 MB line was read: " + docs.size() + " documents");
            } catch (CorpusFormatException e) {
                check(e.getMessage().contains(":2: line longer than 20000000 characters"), e.getMessage());
                return "refused: " + e.getMessage();
            }
        }

        static String query(BiEncoder biEncoder, CrossEncoder crossEncoder) {
            String query = words(1 << 20, 2);
            Embedding e = biEncoder.encodeDetailed(query);
            check(e.truncated(), "a 1 MB query must be truncated");
            Retriever retriever = Retriever.builder(biEncoder).crossEncoder(crossEncoder)
                    .chunking(new ChunkingSettings(30, 4)).build();
            List<Document> docs = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                docs.add(new Document("d" + i, "", words(200, 100 + i)));
            }
            retriever.addAll(docs);
            SearchResult result = retriever.search(query, new SearchOptions(10, 50, true));
            check(result.hits().size() == 10, "hits " + result.hits().size());
            return "1 MB query truncated to " + e.tokenCount() + " tokens; two-stage search returned "
                    + result.hits().size() + " hits";
        }

        static String batch(BiEncoder biEncoder) {
            List<String> texts = new ArrayList<>(100_000);
            for (int i = 0; i < 100_000; i++) {
                texts.add(words(20 + i % 180, i));
            }
            List<float[]> vectors = biEncoder.encode(texts);
            check(vectors.size() == texts.size(), "vectors " + vectors.size());
            float[] again = biEncoder.encode(texts.get(77_777));
            float[] inBatch = vectors.get(77_777);
            for (int i = 0; i < again.length; i++) {
                check(Math.abs(again[i] - inBatch[i]) < 1e-5, "text 77777 differs at " + i);
            }
            return "100,000 texts encoded";
        }

        static void check(boolean condition, String message) {
            if (!condition) {
                throw new AssertionError(message);
            }
        }

        /** The old generation's peak: what survived collections, i.e. what the scenario really held. */
        static long peakHeapMb() {
            long peak = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP && pool.getName().contains("Old")) {
                    peak = Math.max(peak, pool.getPeakUsage().getUsed());
                }
            }
            return peak >> 20;
        }
    }
}
