package dev.bicross.cli;

import dev.bicross.engine.embed.BiEncoder;
import dev.bicross.retrieval.IndexingStats;
import dev.bicross.retrieval.Retriever;
import dev.bicross.retrieval.chunk.ChunkingSettings;
import dev.bicross.retrieval.corpus.Corpora;
import dev.bicross.retrieval.corpus.Document;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code bicross index}: embeds a corpus and saves a searchable index folder. */
@Command(name = "index", mixinStandardHelpOptions = true,
        description = {"Embeds every document of a corpus with the bi-encoder and saves an HNSW index folder.",
                "Corpus: a BEIR folder (corpus.jsonl[.gz]), a .jsonl[.gz] file ({\"_id\"|\"id\", \"title\", \"text\"}), "
                        + "or a folder of .txt/.md files. Long documents are cut into overlapping token windows."})
final class IndexCommand implements Callable<Integer> {

    @Option(names = "--corpus", required = true, paramLabel = "PATH", description = "The documents to index.")
    Path corpus;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Index folder to write (replaced atomically).")
    Path out;

    @Option(names = "--model", paramLabel = "DIR|ORG/NAME",
            description = "Bi-encoder folder or Hugging Face id (default: all-MiniLM-L6-v2).")
    String model;

    @Option(names = "--chunk-tokens", paramLabel = "N",
            description = "Passage window in word pieces (default: the model's max_seq_length - 2).")
    Integer chunkTokens;

    @Option(names = "--chunk-overlap", paramLabel = "N", description = "Overlap of consecutive windows (default: window/8).")
    Integer chunkOverlap;

    @Option(names = "--m", paramLabel = "M", defaultValue = "16", description = "HNSW degree (default: ${DEFAULT-VALUE}).")
    int m;

    @Option(names = "--ef-construction", paramLabel = "EF", defaultValue = "200",
            description = "HNSW build beam width (default: ${DEFAULT-VALUE}).")
    int efConstruction;

    @Mixin
    PrecisionOption precision = new PrecisionOption();

    @Option(names = {"-v", "--verbose"}, description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws IOException {
        List<Document> documents = Corpora.load(corpus);
        if (documents.isEmpty()) {
            throw new IllegalArgumentException(corpus + ": no documents");
        }
        Path folder = ModelChoice.biEncoder(model);
        BiEncoder biEncoder = BiEncoder.load(folder, precision.get());
        ChunkingSettings chunking = ChunkingSettings.forMaxSeqLength(biEncoder.settings().maxSeqLength());
        if (chunkTokens != null || chunkOverlap != null) {
            int window = chunkTokens != null ? chunkTokens : chunking.windowTokens();
            chunking = new ChunkingSettings(window, chunkOverlap != null ? chunkOverlap : window / 8);
        }
        Retriever retriever = Retriever.builder(biEncoder).chunking(chunking).m(m).efConstruction(efConstruction)
                .modelSource(model == null ? "" : (java.nio.file.Files.isDirectory(Path.of(model))
                        ? Path.of(model).toAbsolutePath().toString() : model))
                .build();
        System.err.printf(Locale.ROOT, "bicross index: %d documents from %s with %s (%s kernels)%n",
                documents.size(), corpus, biEncoder.modelName(), biEncoder.model().kernels().name());
        IndexingStats stats = retriever.addAll(documents, new ProgressBar("indexing"));
        retriever.save(out);
        System.out.printf(Locale.ROOT, "indexed %d documents (%d passages, %d tokens) in %.1f s: %.1f docs/s, "
                        + "%.0f tokens/s%nsaved to %s%n", stats.documents(), stats.passages(), stats.tokens(),
                stats.nanos() / 1e9, stats.documentsPerSecond(), stats.tokensPerSecond(), out);
        return 0;
    }
}
