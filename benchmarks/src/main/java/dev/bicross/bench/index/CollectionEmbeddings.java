package dev.bicross.bench.index;

import dev.bicross.convert.DefaultModels;
import dev.bicross.engine.embed.BiEncoder;
import dev.bicross.retrieval.corpus.Document;
import dev.bicross.retrieval.corpus.Query;
import dev.bicross.retrieval.corpus.TestCollection;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Real sentence embeddings for the ANN benchmarks: every document (title + text, truncated to the model's
 * max_seq_length) and every query of the given test collections, embedded once with the engine's
 * {@link BiEncoder} (all-MiniLM-L6-v2 by default) and cached, one file per collection
 * ({@code <name>.vec} in the output folder; collections already there are skipped, so the work can be split
 * over several runs), so that benchmark runs only read them.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar \
 *   dev.bicross.bench.index.CollectionEmbeddings ~/.cache/bicross/ann-minilm ../shared/data/*</pre>
 *
 * <p>File layout (big-endian): magic {@code "BXVE"}, dimension, document count, query count, then the document
 * vectors and the query vectors as floats.
 */
public final class CollectionEmbeddings {

    private static final int MAGIC = 0x42585645; // "BXVE"

    /** Document vectors (the corpus) and query vectors, as the model produced them. */
    record Vectors(float[][] documents, float[][] queries) {
    }

    private CollectionEmbeddings() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: CollectionEmbeddings OUTPUT_DIR COLLECTION_DIR...");
            System.exit(2);
        }
        Path outDir = Path.of(args[0]);
        List<TestCollection> collections = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            collections.add(TestCollection.load(Path.of(args[i]))); // read all first: bad input fails at once
        }
        BiEncoder encoder = BiEncoder.load(DefaultModels.biEncoder());
        for (TestCollection c : collections) {
            Path out = outDir.resolve(c.name() + ".vec");
            if (Files.exists(out)) {
                System.err.println(c.name() + ": already embedded in " + out);
                continue;
            }
            List<String> texts = c.documents().stream().map(Document::fullText).toList();
            long t0 = System.nanoTime();
            List<float[]> documents = encoder.encode(texts);
            List<float[]> queries = encoder.encode(c.queries().stream().map(Query::text).toList());
            write(out, encoder.dimension(), documents, queries);
            System.err.printf(Locale.ROOT, "%s: %d documents, %d queries embedded (%s) in %.1f s -> %s%n", c.name(),
                    texts.size(), c.queries().size(), encoder.modelName(), (System.nanoTime() - t0) / 1e9, out);
        }
    }

    /** Reads every {@code .vec} file of a folder (in name order) as one corpus and one query set. */
    static Vectors readAll(Path dir) throws IOException {
        List<float[]> documents = new ArrayList<>();
        List<float[]> queries = new ArrayList<>();
        try (var files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".vec")).sorted().toList()) {
                Vectors v = read(file);
                documents.addAll(List.of(v.documents()));
                queries.addAll(List.of(v.queries()));
            }
        }
        if (documents.isEmpty()) {
            throw new IOException(dir + ": no .vec files (run CollectionEmbeddings first)");
        }
        return new Vectors(documents.toArray(float[][]::new), queries.toArray(float[][]::new));
    }

    private static void write(Path out, int dimension, List<float[]> documents, List<float[]> queries)
            throws IOException {
        Path parent = out.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path temp = Files.createTempFile(parent, out.getFileName().toString(), ".tmp");
        try (DataOutputStream data = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(temp)))) {
            data.writeInt(MAGIC);
            data.writeInt(dimension);
            data.writeInt(documents.size());
            data.writeInt(queries.size());
            for (List<float[]> list : List.of(documents, queries)) {
                for (float[] v : list) {
                    for (float x : v) {
                        data.writeFloat(x);
                    }
                }
            }
        }
        Files.move(temp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Reads a file written by {@link #main}. */
    static Vectors read(Path file) throws IOException {
        try (DataInputStream data = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            if (data.readInt() != MAGIC) {
                throw new IOException(file + ": not a CollectionEmbeddings file (bad magic)");
            }
            int dimension = data.readInt();
            float[][] documents = new float[data.readInt()][dimension];
            float[][] queries = new float[data.readInt()][dimension];
            for (float[][] block : List.of(documents, queries)) {
                for (float[] v : block) {
                    for (int i = 0; i < dimension; i++) {
                        v[i] = data.readFloat();
                    }
                }
            }
            return new Vectors(documents, queries);
        }
    }
}
