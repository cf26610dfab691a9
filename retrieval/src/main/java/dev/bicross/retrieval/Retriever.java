package dev.bicross.retrieval;

import dev.bicross.engine.embed.BiEncoder;
import dev.bicross.engine.embed.ModelFingerprint;
import dev.bicross.engine.kernel.Precision;
import dev.bicross.engine.rerank.CrossEncoder;
import dev.bicross.engine.rerank.TextPair;
import dev.bicross.index.HnswIndex;
import dev.bicross.index.IndexMetadata;
import dev.bicross.index.Metric;
import dev.bicross.index.SearchHit;
import dev.bicross.retrieval.chunk.Chunk;
import dev.bicross.retrieval.chunk.Chunker;
import dev.bicross.retrieval.chunk.ChunkingSettings;
import dev.bicross.retrieval.corpus.Document;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Two-stage retrieval. Stage 1: documents are cut into token windows, embedded once by the bi-encoder and kept in
 * an HNSW index; a query is embedded and its nearest chunks are gathered into the best N documents (a document
 * scores as its best chunk). Stage 2 (optional): the cross-encoder reads the query with each candidate's best
 * passage and re-orders the N; the top k are returned.
 *
 * <p>Thread-safe: searches run concurrently; adds wait for searches in flight and block new ones briefly.
 */
public final class Retriever {

    /** Passages embedded per call to the bi-encoder while indexing. */
    static final int EMBED_SLICE = 512;

    private final BiEncoder biEncoder;
    private final CrossEncoder crossEncoder;
    private final Chunker chunker;
    private final HnswIndex index;
    private final RetrieverStore store;
    private final String modelSource;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    Retriever(BiEncoder biEncoder, CrossEncoder crossEncoder, ChunkingSettings chunking, HnswIndex index,
              RetrieverStore store, String modelSource) {
        this.modelSource = modelSource == null ? "" : modelSource;
        this.biEncoder = Objects.requireNonNull(biEncoder, "biEncoder");
        this.crossEncoder = crossEncoder;
        this.chunker = new Chunker(biEncoder.tokenizer(), chunking);
        this.index = index;
        this.store = store;
    }

    /** Starts building an empty retriever around a bi-encoder. */
    public static Builder builder(BiEncoder biEncoder) {
        return new Builder(biEncoder);
    }

    /**
     * Reopens a retriever saved with {@link #save}. The bi-encoder must be the model that built it.
     *
     * @param crossEncoder the re-ranker to use from now on, or null for stage 1 only
     * @throws dev.bicross.index.ModelMismatchException if {@code biEncoder} is another model (re-index instead)
     * @throws IOException if a file is missing, truncated or corrupt
     */
    public static Retriever open(Path dir, BiEncoder biEncoder, CrossEncoder crossEncoder) throws IOException {
        return RetrieverFiles.open(dir, biEncoder, crossEncoder);
    }

    /**
     * Where the bi-encoder of a saved retriever came from (a folder or Hugging Face id, as given to
     * {@link Builder#modelSource}), so tools can load the same model again; empty when not recorded.
     */
    public static String recordedModelSource(Path dir) throws IOException {
        return RetrieverFiles.readModelSource(dir);
    }

    /**
     * The precision of the bi-encoder that embedded a saved retriever ({@code fp32} for indexes written before
     * precisions were recorded); {@link #open} refuses a bi-encoder at another precision.
     */
    public static Precision recordedPrecision(Path dir) throws IOException {
        return RetrieverFiles.readPrecision(dir);
    }

    /** Where the bi-encoder came from, as recorded; empty when not recorded. */
    public String modelSource() {
        return modelSource;
    }

    /** Adds one document. */
    public void add(Document document) {
        addAll(List.of(document), Progress.NONE);
    }

    /** Adds documents without progress reports. */
    public IndexingStats addAll(List<Document> documents) {
        return addAll(documents, Progress.NONE);
    }

    /**
     * Chunks, embeds and indexes documents, reporting progress in documents. Ids are checked first (unique among
     * themselves and new to the retriever), so a bad id changes nothing.
     */
    public IndexingStats addAll(List<Document> documents, Progress progress) {
        long started = System.nanoTime();
        long tokens = 0;
        int passages = 0;
        Set<String> incoming = new HashSet<>();
        lock.readLock().lock();
        try {
            for (Document d : documents) {
                if (!incoming.add(d.id()) || store.contains(d.id())) {
                    throw new IllegalArgumentException("duplicate document id '" + d.id() + "'");
                }
            }
        } finally {
            lock.readLock().unlock();
        }
        int done = 0;
        progress.update(0, documents.size(), "docs");
        // Slices bound memory (vectors of one slice at a time) and let progress move.
        for (int from = 0; from < documents.size(); ) {
            List<Document> slice = new ArrayList<>();
            List<Chunk> chunks = new ArrayList<>();
            List<Integer> owner = new ArrayList<>();
            while (from < documents.size() && chunks.size() < EMBED_SLICE) {
                Document d = documents.get(from++);
                for (Chunk c : chunker.split(d.fullText())) {
                    chunks.add(c);
                    owner.add(slice.size());
                }
                slice.add(d);
            }
            List<float[]> vectors = biEncoder.encode(chunks.stream().map(Chunk::text).toList());
            for (Chunk c : chunks) {
                tokens += c.tokens() + 2; // + [CLS] and [SEP]
            }
            passages += chunks.size();
            lock.writeLock().lock();
            try {
                int firstDoc = store.documentCount();
                long[] ids = new long[chunks.size()];
                for (int i = 0; i < chunks.size(); i++) {
                    ids[i] = store.chunkCount() + i;
                }
                index.addAll(ids, vectors.toArray(new float[0][]));
                for (Document d : slice) {
                    store.addDocument(d);
                }
                for (int i = 0; i < chunks.size(); i++) {
                    store.addChunk(firstDoc + owner.get(i), chunks.get(i).start(), chunks.get(i).end());
                }
            } finally {
                lock.writeLock().unlock();
            }
            done += slice.size();
            progress.update(done, documents.size(), "docs");
        }
        return new IndexingStats(documents.size(), passages, tokens, System.nanoTime() - started);
    }

    /** The top k documents from {@value SearchOptions#DEFAULT_CANDIDATES} candidates, re-ranked when possible. */
    public SearchResult search(String query, int k) {
        return search(query, SearchOptions.top(k));
    }

    /** Runs both stages as {@code options} say. */
    public SearchResult search(String query, SearchOptions options) {
        Objects.requireNonNull(query, "query text is null");
        long t0 = System.nanoTime();
        float[] vector = biEncoder.encode(query);
        long t1 = System.nanoTime();
        List<Candidate> candidates;
        lock.readLock().lock();
        try {
            candidates = candidates(vector, options.candidates());
        } finally {
            lock.readLock().unlock();
        }
        long t2 = System.nanoTime();
        boolean rerank = options.rerank() && crossEncoder != null && !candidates.isEmpty();
        float[] crossScores = null;
        if (rerank) {
            List<TextPair> pairs = candidates.stream().map(c -> new TextPair(query, c.passage)).toList();
            crossScores = crossEncoder.predict(pairs);
        }
        long t3 = System.nanoTime();

        Integer[] order = new Integer[candidates.size()];
        Arrays.setAll(order, i -> i);
        if (rerank) {
            float[] s = crossScores;
            Arrays.sort(order, (a, b) -> Float.compare(s[b], s[a])); // stable: ties keep the bi-encoder order
        }
        List<Hit> hits = new ArrayList<>(Math.min(options.k(), order.length));
        for (int r = 0; r < Math.min(options.k(), order.length); r++) {
            Candidate c = candidates.get(order[r]);
            hits.add(new Hit(store.document(c.document), c.passage, c.score, order[r] + 1,
                    rerank ? crossScores[order[r]] : Float.NaN));
        }
        return new SearchResult(hits, candidates.size(), t1 - t0, t2 - t1, rerank ? t3 - t2 : 0);
    }

    private record Candidate(int document, float score, String passage) {
    }

    /** The best {@code n} documents by their best chunk, fetching more chunks until n distinct documents are found. */
    private List<Candidate> candidates(float[] query, int n) {
        int totalChunks = index.size();
        if (totalChunks == 0) {
            return List.of();
        }
        int fetch = Math.min(totalChunks, n);
        while (true) {
            // A beam of twice the depth keeps the tail of a deep candidate list (N = 100) close to exact search.
            List<SearchHit> hits = index.search(query, fetch, Math.max(2 * fetch, index.efSearch()));
            Map<Integer, Candidate> best = new HashMap<>();
            List<Candidate> ordered = new ArrayList<>();
            for (SearchHit hit : hits) {  // best first, so the first chunk seen of a document is its best
                int chunk = (int) hit.id();
                int doc = store.chunkDocument(chunk);
                if (!best.containsKey(doc)) {
                    Candidate c = new Candidate(doc, hit.score(), store.chunkText(chunk));
                    best.put(doc, c);
                    ordered.add(c);
                }
            }
            if (ordered.size() >= n || fetch >= totalChunks) {
                ordered.sort(Comparator.comparingDouble((Candidate c) -> -c.score));
                return ordered.subList(0, Math.min(n, ordered.size()));
            }
            fetch = (int) Math.min(totalChunks, fetch * 2L);
        }
    }

    /**
     * Saves documents, chunks, vectors, graph and the bi-encoder's fingerprint into {@code dir}, replacing what
     * was there only once everything is written.
     */
    public void save(Path dir) throws IOException {
        lock.readLock().lock();
        try {
            RetrieverFiles.save(dir, this);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Number of documents. */
    public int size() {
        return store.documentCount();
    }

    /** Number of indexed passages (chunks). */
    public int passageCount() {
        return store.chunkCount();
    }

    /** The bi-encoder (stage 1). */
    public BiEncoder biEncoder() {
        return biEncoder;
    }

    /** The cross-encoder (stage 2), or null. */
    public CrossEncoder crossEncoder() {
        return crossEncoder;
    }

    /** How documents are cut into passages. */
    public ChunkingSettings chunking() {
        return chunker.settings();
    }

    HnswIndex index() {
        return index;
    }

    RetrieverStore store() {
        return store;
    }

    /** Options of a new retriever. */
    public static final class Builder {
        private final BiEncoder biEncoder;
        private CrossEncoder crossEncoder;
        private ChunkingSettings chunking;
        private int m = 16;
        private int efConstruction = 200;
        private int efSearch = 100;
        private long seed = 42;
        private String modelSource = "";

        Builder(BiEncoder biEncoder) {
            this.biEncoder = Objects.requireNonNull(biEncoder, "biEncoder");
            this.chunking = ChunkingSettings.forMaxSeqLength(biEncoder.settings().maxSeqLength());
        }

        /** The re-ranker of stage 2 (none by default). */
        public Builder crossEncoder(CrossEncoder ce) {
            this.crossEncoder = ce;
            return this;
        }

        /** How long documents are split (default: windows that fill the bi-encoder's max_seq_length). */
        public Builder chunking(ChunkingSettings settings) {
            this.chunking = Objects.requireNonNull(settings);
            return this;
        }

        /** HNSW graph degree M (default 16). */
        public Builder m(int value) {
            this.m = value;
            return this;
        }

        /** HNSW efConstruction (default 200). */
        public Builder efConstruction(int value) {
            this.efConstruction = value;
            return this;
        }

        /** HNSW efSearch floor for queries (default 100; raised to twice the number of passages fetched). */
        public Builder efSearch(int value) {
            this.efSearch = value;
            return this;
        }

        /** Seed of the HNSW level draws, for reproducible builds (default 42). */
        public Builder seed(long value) {
            this.seed = value;
            return this;
        }

        /** Records where the bi-encoder came from (a folder or Hugging Face id) in saved files. */
        public Builder modelSource(String source) {
            this.modelSource = Objects.requireNonNull(source);
            return this;
        }

        public Retriever build() {
            ModelFingerprint f = biEncoder.fingerprint();
            HnswIndex index = HnswIndex.builder(new IndexMetadata(f.modelName(), f.id(), f.dimension()), Metric.COSINE)
                    .m(m).efConstruction(efConstruction).efSearch(efSearch).seed(seed).build();
            return new Retriever(biEncoder, crossEncoder, chunking, index, new RetrieverStore(), modelSource);
        }
    }
}
