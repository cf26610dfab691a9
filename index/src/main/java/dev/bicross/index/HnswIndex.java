package dev.bicross.index;

import dev.bicross.index.kernel.DistanceKernels;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongPredicate;

/**
 * Approximate nearest-neighbour search on a Hierarchical Navigable Small World graph (Malkov &amp; Yashunin,
 * 2018), with the paper's neighbour-selection heuristic (a candidate is linked only if it is closer to the node
 * than to every neighbour already chosen, which keeps links spread across directions).
 *
 * <h2>Parameters</h2>
 * {@code M} links per node on upper levels and {@code 2M} on level 0 (default 16); {@code efConstruction}
 * candidates examined per insertion (default 200); {@code efSearch} candidates per query ({@code >= k}, set
 * per call or as the index default, 100); a seed fixing every node's level. With one build thread the graph
 * is fully reproducible; parallel builds fix the levels but the links depend on thread timing.
 *
 * <h2>Layout</h2>
 * Vectors in one block ({@link VectorStore}); level-0 links in one {@code int[]} of {@code 2M+1} ints per node
 * (count, then neighbours); the few upper-level lists in a small array per node. Searches reuse per-thread
 * scratch (heaps and an epoch-stamped visited array, so nothing is cleared per query).
 *
 * <h2>Concurrency</h2>
 * Searches take no lock. A neighbour list is changed under its node's (striped) lock, entries first and the
 * count last with release semantics, so a concurrent reader sees only ids of fully written nodes. Deletes are
 * tombstones: deleted nodes still route searches but are never returned, until {@link #compact} makes an index
 * without them.
 *
 * <h2>Connectivity</h2>
 * The heuristic can prune every link into a node, which no search then reaches; {@link #repairConnectivity} (run
 * by {@link #addAll} as the graph grows, and by {@link #save}) links such nodes back.
 *
 * <h2>Filters</h2>
 * A filtered search estimates the share of accepted ids from a sample; when few ids pass, it scores the
 * accepted ids exactly (HNSW would wander through mostly rejected nodes); otherwise it searches the graph
 * keeping only accepted ids as results, and falls back to exact search if that finds fewer than {@code k}.
 */
public final class HnswIndex implements VectorIndex {

    /**
     * Largest efConstruction / default efSearch: far beyond any useful value, and small enough that the per-thread
     * search scratch sized from them stays bounded (a corrupt file's header cannot make it allocate gigabytes).
     */
    public static final int MAX_EF = 1 << 16;


    /** Default {@code M}. */
    public static final int DEFAULT_M = 16;
    /** Default {@code efConstruction}. */
    public static final int DEFAULT_EF_CONSTRUCTION = 200;
    /** Default {@code efSearch}. */
    public static final int DEFAULT_EF_SEARCH = 100;

    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
    private static final int MAX_LEVEL = 30;
    private static final int LOCK_STRIPES = 1024;

    /**
     * Graph arrays of one capacity generation; {@code upper[n]} holds levels 1..levels[n], M+1 ints each.
     * {@code scores0} parallels {@code level0} with each link's score, so that pruning a full list (the
     * commonest step of a build) needs no distance to be recomputed; it is rebuilt, not stored, on load.
     */
    record Graph(int[] level0, float[] scores0, byte[] levels, int[][] upper, long[] checked0) {
        /**
         * A graph whose level-0 links are not known to be checked for diversity (bit {@code i} of
         * {@code checked0[n]}: link {@code i} of node {@code n} was compared with every better link; see addLink).
         * Derived build state like {@code scores0}, not stored in files.
         */
        Graph(int[] level0, float[] scores0, byte[] levels, int[][] upper) {
            this(level0, scores0, levels, upper, new long[levels.length]);
        }
    }

    /** The top of the hierarchy. */
    record Entry(int node, int level) {
    }

    private final VectorStore store;
    private final IndexMetadata metadata;
    private final int m;
    private final int efConstruction;
    private final int defaultEfSearch;
    private final long seed;
    private final int buildThreads;
    private final int stride0; // ints per node on level 0: count + 2M links
    private final int strideUp; // ints per upper level: count + M links
    private final double levelScale;
    private final Object[] locks = new Object[LOCK_STRIPES];
    private final AtomicReference<Entry> entry = new AtomicReference<>();
    private final ThreadLocal<Scratch> scratch;
    private volatile Graph graph;
    /** Whether level-0 pruning uses {@link Graph#checked0}; off only in the test that shows it changes nothing. */
    boolean pruneMemory = true;
    /** Whether adds and saves repair connectivity; off only in tests that need the unrepaired graph. */
    boolean autoRepair = true;
    /** Nodes inserted since the last {@link #repairConnectivity} (a lower bound while inserts are in flight). */
    private final AtomicInteger insertedSinceRepair = new AtomicInteger();

    private HnswIndex(Builder b, VectorStore store, Graph graph, Entry entry) {
        this.store = store;
        this.metadata = b.metadata;
        this.m = b.m;
        this.efConstruction = b.efConstruction;
        this.defaultEfSearch = b.efSearch;
        this.seed = b.seed;
        this.buildThreads = b.buildThreads;
        this.stride0 = 2 * m + 1;
        this.strideUp = m + 1;
        this.levelScale = 1.0 / Math.log(m);
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new Object();
        }
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(2 * m + 2, Math.max(efConstruction, defaultEfSearch)));
        this.entry.set(entry);
        this.graph = graph;
    }

    /** Starts configuring an index for vectors of {@code dimension} floats without a recorded model. */
    public static Builder builder(int dimension, Metric metric) {
        return new Builder(IndexMetadata.unrecorded(dimension), metric);
    }

    /** Starts configuring an index for the vectors of a model. */
    public static Builder builder(IndexMetadata metadata, Metric metric) {
        return new Builder(metadata, metric);
    }

    /** An index with default parameters. */
    public static HnswIndex create(int dimension, Metric metric) {
        return builder(dimension, metric).build();
    }

    /**
     * Reads an index written by {@link #save}. Searches on it return bit-identical results.
     *
     * @throws IndexFormatException naming the file: not an index, a flat index, truncated, a checksum or a graph
     *                              consistency check failed (the only exception for bad contents)
     * @throws IOException          if the file does not exist or cannot be read
     */
    public static HnswIndex load(Path file) throws IOException {
        IndexFile.Contents c = IndexFile.read(file);
        if (c.graph() == null) {
            throw new IndexFormatException(file, "holds a flat index; open it with FlatIndex.load");
        }
        Builder b = builder(c.metadata(), c.metric()).m(c.m()).efConstruction(c.efConstruction())
                .efSearch(c.efSearch()).seed(c.seed());
        HnswIndex index = new HnswIndex(b, c.store(DistanceKernels.preferred()), c.graph(),
                c.entryNode() < 0 ? null : new Entry(c.entryNode(), c.entryLevel()));
        index.restoreLinkScores(c.count());
        return index;
    }

    /** Recomputes {@link Graph#scores0} (not stored in files: it is derived data, needed only to keep building). */
    private void restoreLinkScores(int count) {
        Graph g = graph;
        VectorStore.Rows rows = store.rows();
        for (int node = 0; node < count; node++) {
            int base = node * stride0;
            for (int i = 1; i <= g.level0[base]; i++) {
                g.scores0[base + i] = store.score(rows, node, g.level0[base + i]);
            }
        }
    }

    /**
     * Reads an index and refuses it if it was built with another model.
     *
     * @throws ModelMismatchException if the recorded model differs
     */
    public static HnswIndex load(Path file, String modelName, String modelFingerprint) throws IOException {
        HnswIndex index = load(file);
        try {
            index.checkModel(modelName, modelFingerprint);
        } catch (ModelMismatchException e) {
            throw new ModelMismatchException(file + ": " + e.getMessage());
        }
        return index;
    }

    /** Builder of {@link HnswIndex}. */
    public static final class Builder {
        private final IndexMetadata metadata;
        private final Metric metric;
        private int m = DEFAULT_M;
        private int efConstruction = DEFAULT_EF_CONSTRUCTION;
        private int efSearch = DEFAULT_EF_SEARCH;
        private long seed = 42;
        private int buildThreads = Runtime.getRuntime().availableProcessors();
        private int initialCapacity = 1024;

        private Builder(IndexMetadata metadata, Metric metric) {
            this.metadata = Objects.requireNonNull(metadata, "metadata");
            this.metric = Objects.requireNonNull(metric, "metric");
        }

        /** Links per node on upper levels (level 0 gets {@code 2M}); 2..512. */
        public Builder m(int m) {
            if (m < 2 || m > 512) {
                throw new IllegalArgumentException("M must be in [2, 512], got " + m);
            }
            this.m = m;
            return this;
        }

        /** Candidates examined per insertion; in [1, {@value HnswIndex#MAX_EF}]. */
        public Builder efConstruction(int ef) {
            if (ef < 1 || ef > MAX_EF) {
                throw new IllegalArgumentException("efConstruction must be in [1, " + MAX_EF + "], got " + ef);
            }
            this.efConstruction = ef;
            return this;
        }

        /**
         * Default candidates per query for {@link #search(float[], int)} (raised to k when smaller); in
         * [1, {@value HnswIndex#MAX_EF}].
         */
        public Builder efSearch(int ef) {
            if (ef < 1 || ef > MAX_EF) {
                throw new IllegalArgumentException("efSearch must be in [1, " + MAX_EF + "], got " + ef);
            }
            this.efSearch = ef;
            return this;
        }

        /** Seed of the level assignment. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Threads used by {@link #addAll}; 1 makes builds reproducible. */
        public Builder buildThreads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("buildThreads must be positive, got " + threads);
            }
            this.buildThreads = threads;
            return this;
        }

        /** Nodes to allocate up front (the arrays grow by doubling otherwise). */
        public Builder initialCapacity(int nodes) {
            if (nodes < 1) {
                throw new IllegalArgumentException("initialCapacity must be positive, got " + nodes);
            }
            this.initialCapacity = nodes;
            return this;
        }

        /** Creates the empty index. */
        public HnswIndex build() {
            VectorStore store = new VectorStore(metadata.dimension(), metric, DistanceKernels.preferred(),
                    initialCapacity);
            int capacity = store.rows().capacity();
            Graph graph = new Graph(new int[capacity * (2 * m + 1)], new float[capacity * (2 * m + 1)],
                    new byte[capacity], new int[capacity][]);
            return new HnswIndex(this, store, graph, null);
        }
    }

    // ---------------------------------------------------------------- accessors

    @Override
    public int dimension() {
        return store.dimension;
    }

    @Override
    public Metric metric() {
        return store.metric;
    }

    @Override
    public IndexMetadata metadata() {
        return metadata;
    }

    /** {@code M}. */
    public int m() {
        return m;
    }

    /** The vector store; package-private so tests can put it in the states a concurrent writer passes through. */
    VectorStore store() {
        return store;
    }

    /** {@code efConstruction}. */
    public int efConstruction() {
        return efConstruction;
    }

    /** Default {@code efSearch}. */
    public int efSearch() {
        return defaultEfSearch;
    }

    /** Seed of the level assignment. */
    public long seed() {
        return seed;
    }

    @Override
    public int size() {
        return store.size();
    }

    /**
     * Heap bytes held by the index's arrays (vectors, ids, states, links, levels; capacity included, object
     * headers and the id map excluded): divide by {@link #size()} for bytes per vector.
     */
    public long ramBytesUsed() {
        Graph g = graph;
        VectorStore.Rows rows = store.rows();
        long bytes = 4L * rows.vectors().length + 8L * rows.ids().length + rows.states().length
                + 4L * g.level0.length + 4L * g.scores0.length + 8L * g.checked0.length + g.levels.length
                + 4L * g.upper.length; // compressed references
        for (int[] list : g.upper) {
            if (list != null) {
                bytes += 16 + 4L * list.length;
            }
        }
        return bytes;
    }

    @Override
    public boolean contains(long id) {
        return store.contains(id);
    }

    // ---------------------------------------------------------------- mutation

    @Override
    public void add(long id, float[] vector) {
        addAll(new long[] {id}, new float[][] {vector});
    }

    @Override
    public void addAll(long[] ids, float[][] vectors) {
        float[][] prepared = Batch.prepare(store, ids, vectors);
        int first = store.reserve(ids);
        store.ensureCapacity(first + ids.length, this::growGraph);
        int threads = Math.min(buildThreads, 1 + ids.length / 256);
        if (threads <= 1) {
            for (int i = 0; i < ids.length; i++) {
                insert(first + i, ids[i], prepared[i]);
            }
        } else {
            insertInParallel(first, ids, prepared, threads);
        }
        repairIfGrown();
    }

    private void insertInParallel(int first, long[] ids, float[][] prepared, int threads) {
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            for (int i; (i = next.getAndIncrement()) < ids.length; ) {
                insert(first + i, ids[i], prepared[i]);
            }
        };
        runOnThreads(worker, threads, "bicross-hnsw-build-");
    }

    /** Runs {@code worker} on the calling thread and {@code threads - 1} helpers; rethrows a helper's failure. */
    private static void runOnThreads(Runnable worker, int threads, String namePrefix) {
        List<Thread> helpers = new ArrayList<>();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int t = 1; t < threads; t++) {
            Thread helper = Thread.ofPlatform().name(namePrefix + t).unstarted(worker);
            helper.setUncaughtExceptionHandler((thread, e) -> failures.add(e));
            helpers.add(helper);
            helper.start();
        }
        worker.run();
        for (Thread helper : helpers) {
            try {
                helper.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + namePrefix + "threads", e);
            }
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("index thread " + namePrefix + "* failed", failures.getFirst());
        }
    }

    @Override
    public boolean delete(long id) {
        return store.delete(id);
    }

    @Override
    public void update(long id, float[] vector) {
        float[] prepared = store.prepare(vector, "vector for id " + id);
        long nodes = store.reserveReplacement(id);
        int node = (int) nodes;
        int previous = (int) (nodes >> 32);
        store.ensureCapacity(node + 1, this::growGraph);
        // One read-lock hold (insert re-enters it) so a save sees the old node or the new one, never neither; the
        // old node is retired only once the new one is live, so searches never miss the id meanwhile.
        store.lock.readLock().lock();
        try {
            insert(node, id, prepared);
            if (previous >= 0) {
                store.markDeleted(previous);
            }
        } finally {
            store.lock.readLock().unlock();
        }
        repairIfGrown();
    }

    /** Called by the store under its write lock, after the rows are published. */
    private void growGraph(int capacity) {
        Graph g = graph;
        graph = new Graph(Arrays.copyOf(g.level0, capacity * stride0), Arrays.copyOf(g.scores0, capacity * stride0),
                Arrays.copyOf(g.levels, capacity),
                Arrays.copyOf(g.upper, capacity), Arrays.copyOf(g.checked0, capacity));
    }

    /** The level of a node: a pure function of the seed and the node, so thread timing cannot change it. */
    private int levelOf(int node) {
        long h = seed + 0x9E3779B97F4A7C15L * (node + 1L);
        h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
        h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
        h ^= h >>> 31;
        double uniform = ((h >>> 11) + 1) * 0x1.0p-53; // (0, 1]
        return (int) Math.min(MAX_LEVEL, Math.floor(-Math.log(uniform) * levelScale));
    }

    private void insert(int node, long id, float[] vector) {
        store.lock.readLock().lock();
        try {
            insertedSinceRepair.incrementAndGet();
            int level = levelOf(node);
            store.write(node, id, vector);
            Graph g = graph;
            g.levels[node] = (byte) level;
            if (level > 0) {
                g.upper[node] = new int[level * strideUp];
            }
            link(node, level, vector, g);
            store.markLive(node);
        } finally {
            store.lock.readLock().unlock();
        }
    }

    private void link(int node, int level, float[] vector, Graph g) {
        Entry top = entry.get();
        if (top == null) {
            if (entry.compareAndSet(null, new Entry(node, level))) {
                return;
            }
            top = entry.get();
        }
        VectorStore.Rows rows = store.rows();
        Scratch s = scratch.get();
        int current = top.node();
        float currentScore = store.score(vector, rows, current);
        for (int lc = top.level(); lc > level; lc--) {
            long best = greedy(s, vector, current, currentScore, lc, g, rows);
            current = NodeQueue.node(best);
            currentScore = NodeQueue.score(best);
        }
        int[] seeds = {current};
        int seedCount = 1;
        for (int lc = Math.min(level, top.level()); lc >= 0; lc--) {
            searchLayer(s, vector, seeds, seedCount, efConstruction, lc, g, rows, false, null);
            int found = s.results.drainBestFirst(s.found(efConstruction));
            // Like Lucene (and unlike hnswlib, which takes M everywhere), level 0 gets up to 2M diverse links.
            int chosen = selectDiverse(node, s.found, found, lc == 0 ? 2 * m : m, rows, s.chosen);
            setNeighbours(node, lc, s.chosen, chosen, g, rows, s);
            for (int i = 0; i < chosen; i++) {
                addBacklink(NodeQueue.node(s.chosen[i]), node, NodeQueue.score(s.chosen[i]), lc, g, rows, s);
            }
            if (seeds.length < found) {
                seeds = new int[found];
            }
            for (int i = 0; i < found; i++) {
                seeds[i] = NodeQueue.node(s.found[i]);
            }
            seedCount = found;
        }
        if (level > top.level()) {
            Entry mine = new Entry(node, level);
            for (Entry e = entry.get(); e.level() < level; e = entry.get()) {
                if (entry.compareAndSet(e, mine)) {
                    break;
                }
            }
        }
    }

    /**
     * Malkov &amp; Yashunin's heuristic: walk candidates best first (packed, sorted best first) and keep one
     * only if it is more similar to the base node than to every neighbour kept so far. Writes the kept
     * candidates (packed) to {@code out}. The node itself is skipped: a concurrent inserter may already have
     * linked to it on this level, so the search for its neighbours can find it.
     */
    private int selectDiverse(int self, long[] candidates, int count, int max, VectorStore.Rows rows, long[] out) {
        int kept = 0;
        for (int i = 0; i < count && kept < max; i++) {
            int candidate = NodeQueue.node(candidates[i]);
            if (candidate == self) {
                continue;
            }
            float toBase = NodeQueue.score(candidates[i]);
            boolean diverse = true;
            for (int j = 0; j < kept; j++) {
                if (store.score(rows, candidate, NodeQueue.node(out[j])) > toBase) {
                    diverse = false;
                    break;
                }
            }
            if (diverse) {
                out[kept++] = candidates[i];
            }
        }
        return kept;
    }

    private Object lockOf(int node) {
        return locks[node & (LOCK_STRIPES - 1)];
    }

    /**
     * Installs a new node's links (packed node and score) on one level. Another inserter may already have
     * linked back to this node (it became reachable through a higher level); those links are kept.
     */
    private void setNeighbours(int node, int level, long[] neighbours, int count, Graph g, VectorStore.Rows rows,
                               Scratch s) {
        int[] list = level == 0 ? g.level0 : g.upper[node];
        float[] scores = level == 0 ? g.scores0 : null;
        int base = level == 0 ? node * stride0 : (level - 1) * strideUp;
        long[] checked = level == 0 ? g.checked0 : null;
        synchronized (lockOf(node)) {
            int existing = (int) INTS.getAcquire(list, base);
            if (existing == 0) {
                for (int i = 0; i < count; i++) {
                    list[base + 1 + i] = NodeQueue.node(neighbours[i]);
                    if (scores != null) {
                        scores[base + 1 + i] = NodeQueue.score(neighbours[i]);
                    }
                }
                if (checked != null) {
                    // The heuristic compared each chosen link with every better one chosen before it.
                    checked[node] = count >= Long.SIZE ? -1L : (1L << count) - 1;
                }
                INTS.setRelease(list, base, count);
                return;
            }
            for (int i = 0; i < count; i++) {
                addLink(node, NodeQueue.node(neighbours[i]), NodeQueue.score(neighbours[i]), list, scores, checked,
                        base, level == 0 ? 2 * m : m, rows, s);
            }
        }
    }

    private void addBacklink(int target, int node, float score, int level, Graph g, VectorStore.Rows rows,
                             Scratch s) {
        int[] list = level == 0 ? g.level0 : g.upper[target];
        float[] scores = level == 0 ? g.scores0 : null;
        int base = level == 0 ? target * stride0 : (level - 1) * strideUp;
        synchronized (lockOf(target)) {
            addLink(target, node, score, list, scores, level == 0 ? g.checked0 : null, base, level == 0 ? 2 * m : m,
                    rows, s);
        }
    }

    /**
     * Adds {@code node} (scoring {@code score} against {@code owner}; scores are symmetric) to the owner's list
     * at {@code base}; caller holds the owner's lock. A full list drops one link, the worst one that is not
     * diverse (more similar to a better-ranked link than to the owner), else simply the worst.
     *
     * <p>On level 0 the owner's {@link Graph#checked0} mask (bit {@code i} for list entry {@code i}) remembers
     * which links were already found diverse, so that a scan only compares what changed since: a checked link
     * against the unchecked better ones, an unchecked link against all better ones. The invariant: for any two
     * checked links, the worse was compared with the better. It makes pruning cost about 2M distances instead
     * of up to (2M)²/2 (a quarter of a whole build was spent here before).
     */
    private void addLink(int owner, int node, float score, int[] list, float[] scores, long[] checked, int base,
                         int max, VectorStore.Rows rows, Scratch s) {
        int count = (int) INTS.getAcquire(list, base);
        for (int i = 1; i <= count; i++) {
            if (list[base + i] == node) {
                return;
            }
        }
        boolean masked = pruneMemory && checked != null && max < Long.SIZE; // a bit per link and the newcomer
        if (count < max) {
            list[base + 1 + count] = node;
            if (scores != null) {
                scores[base + 1 + count] = score;
            }
            if (masked) {
                checked[owner] &= ~(1L << count); // a stale bit of a dropped link must not vouch for the new one
            }
            INTS.setRelease(list, base, count + 1);
            return;
        }
        // Sort (score, index) pairs best first; index count is the new node.
        long[] candidates = s.pruneCandidates;
        int[] nodes = s.pruneNodes;
        for (int i = 0; i < count; i++) {
            nodes[i] = list[base + 1 + i];
            float neighbourScore = scores != null ? scores[base + 1 + i] : store.score(rows, owner, nodes[i]);
            candidates[i] = NodeQueue.encode(i, neighbourScore);
        }
        nodes[count] = node;
        candidates[count] = NodeQueue.encode(count, score);
        Arrays.sort(candidates, 0, count + 1);
        reverse(candidates, count + 1);
        long before = masked ? checked[owner] & ~(1L << count) : 0L; // by original index; the new node unchecked
        int drop = count;
        int scannedFrom = 1; // positions [scannedFrom, count] compared as required; 1 when the scan completes
        search:
        for (int i = count; i >= 1; i--) {
            int index = NodeQueue.node(candidates[i]);
            int candidate = nodes[index];
            float toOwner = NodeQueue.score(candidates[i]);
            boolean candidateChecked = (before >>> index & 1) != 0;
            for (int j = 0; j < i; j++) {
                int better = NodeQueue.node(candidates[j]);
                if (candidateChecked && (before >>> better & 1) != 0) {
                    continue; // this pair was compared when both were last scanned
                }
                if (store.score(rows, candidate, nodes[better]) > toOwner) {
                    drop = i;
                    scannedFrom = i + 1;
                    break search;
                }
            }
        }
        long after = 0L;
        for (int i = 0, w = 0; i <= count; i++) {
            if (i == drop) {
                continue;
            }
            int index = NodeQueue.node(candidates[i]);
            list[base + 1 + w] = nodes[index];
            if (scores != null) {
                scores[base + 1 + w] = NodeQueue.score(candidates[i]);
            }
            // Scanned positions are now compared with every better link; the best one needs no comparison once
            // all the others were scanned against it.
            boolean nowChecked = i >= scannedFrom || (i == 0 && scannedFrom == 1) || (before >>> index & 1) != 0;
            if (nowChecked && w < Long.SIZE) {
                after |= 1L << w;
            }
            w++;
        }
        if (masked) {
            checked[owner] = after;
        }
        INTS.setRelease(list, base, count);
    }

    private static void reverse(long[] a, int n) {
        for (int i = 0, j = n - 1; i < j; i++, j--) {
            long t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    // ---------------------------------------------------------------- search

    /** Moves to better neighbours on one level until none is better; returns the packed (node, score). */
    private long greedy(Scratch s, float[] query, int start, float startScore, int level, Graph g,
                        VectorStore.Rows rows) {
        int current = start;
        float currentScore = startScore;
        boolean improved = true;
        while (improved) {
            improved = false;
            int[] list = level == 0 ? g.level0 : g.upper[current];
            int base = level == 0 ? current * stride0 : (level - 1) * strideUp;
            int count = Math.min((int) INTS.getAcquire(list, base), level == 0 ? 2 * m : m);
            System.arraycopy(list, base + 1, s.batch, 0, count);
            if (level > 0) {
                count = keepNodesOnLevel(s.batch, count, level, g);
            }
            store.scoreBatch(query, rows, s.batch, count, s.batchScores);
            int from = current;
            for (int i = 0; i < count; i++) {
                if (s.batchScores[i] > currentScore) {
                    current = s.batch[i];
                    currentScore = s.batchScores[i];
                }
            }
            improved = current != from;
        }
        return NodeQueue.encode(current, currentScore);
    }

    /**
     * Growth copies the array of upper-level lists but shares the lists, so a search still holding the previous
     * generation {@code g} can read links to nodes added after it: beyond its arrays, or not yet on this level in
     * them (no list to follow). Keeps, in place, only nodes {@code g} has on {@code level}; returns their count.
     */
    private static int keepNodesOnLevel(int[] nodes, int count, int level, Graph g) {
        int kept = 0;
        for (int i = 0; i < count; i++) {
            int node = nodes[i];
            if (node < g.levels.length && g.levels[node] >= level) {
                nodes[kept++] = node;
            }
        }
        return kept;
    }

    /**
     * Best-first search of one level from {@code seeds}; leaves up to {@code ef} results in {@code s.results}
     * (worst on top). With {@code liveOnly}, deleted nodes and those {@code filter} rejects are traversed but
     * not collected.
     */
    private void searchLayer(Scratch s, float[] query, int[] seeds, int seedCount, int ef, int level, Graph g,
                             VectorStore.Rows rows, boolean liveOnly, LongPredicate filter) {
        NodeQueue candidates = s.candidates;
        NodeQueue results = s.results;
        candidates.clear();
        results.clear();
        int[] visited = s.startVisit(g.levels.length);
        int epoch = s.epoch;
        for (int i = 0; i < seedCount; i++) {
            int seedNode = seeds[i];
            if (visited[seedNode] == epoch) {
                continue;
            }
            visited[seedNode] = epoch;
            float score = store.score(query, rows, seedNode);
            candidates.push(seedNode, score);
            if (accepts(seedNode, rows, liveOnly, filter)) {
                results.pushBounded(seedNode, score, ef);
            }
        }
        int maxLinks = level == 0 ? 2 * m : m;
        while (candidates.size() > 0) {
            long best = candidates.pop();
            if (results.size() >= ef && NodeQueue.score(best) < results.topScore()) {
                break;
            }
            int current = NodeQueue.node(best);
            int[] list = level == 0 ? g.level0 : g.upper[current];
            int base = level == 0 ? current * stride0 : (level - 1) * strideUp;
            int count = Math.min((int) INTS.getAcquire(list, base), maxLinks);
            int[] batch = s.batch;
            int pending = 0;
            for (int i = 1; i <= count; i++) {
                int neighbour = list[base + i];
                if (visited[neighbour] != epoch) {
                    visited[neighbour] = epoch;
                    batch[pending++] = neighbour;
                }
            }
            float[] scores = s.batchScores;
            store.scoreBatch(query, rows, batch, pending, scores);
            for (int i = 0; i < pending; i++) {
                int neighbour = batch[i];
                float score = scores[i];
                if (results.size() < ef || score > results.topScore()) {
                    candidates.push(neighbour, score);
                    if (accepts(neighbour, rows, liveOnly, filter)) {
                        results.pushBounded(neighbour, score, ef);
                    }
                }
            }
        }
    }

    private static boolean accepts(int node, VectorStore.Rows rows, boolean liveOnly, LongPredicate filter) {
        return !liveOnly || (rows.state(node) == VectorStore.LIVE && (filter == null || filter.test(rows.ids()[node])));
    }

    @Override
    public List<SearchHit> search(float[] query, int k) {
        return search(query, k, Math.max(k, defaultEfSearch), null);
    }

    @Override
    public List<SearchHit> search(float[] query, int k, LongPredicate filter) {
        return search(query, k, Math.max(k, defaultEfSearch), filter);
    }

    /**
     * The {@code k} most similar ids examining {@code ef} candidates: larger {@code ef} → higher recall, slower.
     *
     * @throws IllegalArgumentException if {@code k <= 0}, {@code ef < k} or the query is invalid
     */
    public List<SearchHit> search(float[] query, int k, int ef) {
        return search(query, k, ef, null);
    }

    /** Filtered search with an explicit {@code ef}; see the class documentation for how filters are served. */
    public List<SearchHit> search(float[] query, int k, int ef, LongPredicate filter) {
        Batch.checkK(k);
        if (ef < k) {
            throw new IllegalArgumentException("ef must be at least k, got ef " + ef + " < k " + k);
        }
        float[] q = store.prepare(query, "query");
        if (filter != null && preferExact(filter, ef)) {
            return store.exactSearch(q, k, filter);
        }
        // Read order matters: the entry before the graph, the graph before the rows. A later generation of
        // arrays only ever contains more nodes, so each array read here covers every node reachable from the
        // ones read before it.
        Entry top = entry.get();
        if (top == null) {
            return List.of();
        }
        Graph g = graph;
        VectorStore.Rows rows = store.rows();
        Scratch s = scratch.get();
        s.seed[0] = descendToLevel0(s, q, top, g, rows);
        searchLayer(s, q, s.seed, 1, ef, 0, g, rows, true, filter);
        while (s.results.size() > k) {
            s.results.pop();
        }
        if (filter != null && s.results.size() < k) {
            return store.exactSearch(q, k, filter); // maybe fewer than k pass the filter: let the exact scan tell
        }
        return VectorStore.hits(s.results, rows);
    }

    /**
     * Whether scoring the accepted ids exactly is cheaper than a graph search. A graph search that keeps a
     * share {@code p} of the nodes visits about {@code ef/p} nodes of {@code 2M} links each; the exact scan
     * scores the {@code p·n} accepted ids. Exact wins when {@code p²·n <= 2M·ef}; p is estimated from a sample.
     */
    private boolean preferExact(LongPredicate filter, int ef) {
        VectorStore.Rows rows = store.rows();
        int count = nodesWithRows(rows);
        int samples = Math.min(count, 256);
        int live = 0;
        int accepted = 0;
        for (int i = 0; i < samples; i++) {
            int node = (int) ((long) count * i / samples);
            if (rows.state(node) == VectorStore.LIVE) {
                live++;
                if (filter.test(rows.ids()[node])) {
                    accepted++;
                }
            }
        }
        if (live == 0 || accepted == 0) {
            return true;
        }
        double share = (double) accepted / live;
        return share * share * store.size() <= 2.0 * m * ef;
    }

    /** Per-thread search state, reused across calls. */
    private static final class Scratch {
        final NodeQueue candidates;
        final NodeQueue results;
        final int[] seed = new int[1];
        final long[] chosen;
        final long[] pruneCandidates;
        final int[] pruneNodes;
        final int[] batch;
        final float[] batchScores;
        long[] found;
        int[] visited = new int[0];
        int epoch;

        Scratch(int maxLinks, int ef) {
            candidates = new NodeQueue(4 * ef, false);
            results = new NodeQueue(ef + 1, true);
            chosen = new long[maxLinks];
            batch = new int[maxLinks + 4];
            batchScores = new float[maxLinks + 4];
            pruneCandidates = new long[maxLinks + 1];
            pruneNodes = new int[maxLinks + 1];
            found = new long[ef + 1];
        }

        long[] found(int ef) {
            if (found.length < ef + 1) {
                found = new long[ef + 1];
            }
            return found;
        }

        /** A fresh visit stamp, and a visited array covering {@code capacity} nodes. */
        int[] startVisit(int capacity) {
            if (visited.length < capacity) {
                visited = new int[capacity];
                epoch = 0;
            }
            if (++epoch == 0) { // wrapped after 2^32 searches: forget old stamps
                Arrays.fill(visited, 0);
                epoch = 1;
            }
            return visited;
        }
    }

    // ---------------------------------------------------------------- invariants

    /**
     * The graph's structural invariants, checked on a quiescent index (no add, update or delete in flight; a
     * concurrent search is fine): returns one line per violation, empty when the graph is sound. Deletes are
     * tombstones that keep routing, so links to deleted nodes are valid; links to never-written nodes are not.
     * <ul>
     *   <li>the entry point is null exactly when no node was inserted, and sits on the highest level of any node;</li>
     *   <li>every node has a level in [0, 30] and upper lists exactly for levels 1..level (an insert draws the
     *       level from {@link #levelOf}; a compaction renumbers nodes but keeps their levels);</li>
     *   <li>per level, at most {@code 2M} (level 0) or {@code M} links, none to itself, none repeated, none to a
     *       node that is empty or lacks that level;</li>
     *   <li>with more than one node, every inserted node has at least one level-0 link;</li>
     *   <li>each level-0 link score equals the pair's score (derived data that pruning relies on).</li>
     * </ul>
     */
    List<String> checkInvariants() {
        List<String> problems = new ArrayList<>();
        store.lock.writeLock().lock(); // no insert can be half-way through while we look
        try {
            Graph g = graph;
            VectorStore.Rows rows = store.rows();
            int count = nodesWithRows(rows);
            int inserted = 0;
            int topLevel = -1;
            for (int node = 0; node < count; node++) {
                if (rows.state(node) != VectorStore.EMPTY) {
                    inserted++;
                    topLevel = Math.max(topLevel, g.levels[node]);
                }
            }
            Entry top = entry.get();
            if (top == null) {
                if (inserted > 0) {
                    problems.add("no entry point but " + inserted + " inserted nodes");
                }
            } else if (top.node() < 0 || top.node() >= count || rows.state(top.node()) == VectorStore.EMPTY) {
                problems.add("entry point " + top + " is not an inserted node (nodes: " + count + ")");
            } else if (top.level() != g.levels[top.node()] || top.level() != topLevel) {
                problems.add("entry point " + top + " has node level " + g.levels[top.node()]
                        + "; highest level is " + topLevel);
            }
            for (int node = 0; node < count; node++) {
                boolean empty = rows.state(node) == VectorStore.EMPTY;
                int level = g.levels[node];
                if (!empty && (level < 0 || level > MAX_LEVEL)) {
                    problems.add("node " + node + " has level " + level + " (max " + MAX_LEVEL + ")");
                }
                if ((g.upper[node] == null ? 0 : g.upper[node].length) != level * strideUp) {
                    problems.add("node " + node + " of level " + level + " has upper lists of "
                            + (g.upper[node] == null ? "null" : g.upper[node].length + " ints"));
                    continue;
                }
                for (int lc = 0; lc <= level; lc++) {
                    int[] list = lc == 0 ? g.level0 : g.upper[node];
                    int base = lc == 0 ? node * stride0 : (lc - 1) * strideUp;
                    int links = list[base];
                    int max = lc == 0 ? 2 * m : m;
                    if (links < 0 || links > max) {
                        problems.add("node " + node + " level " + lc + ": " + links + " links (max " + max + ")");
                        continue;
                    }
                    if (empty && links > 0) {
                        problems.add("never-inserted node " + node + " has " + links + " links on level " + lc);
                    }
                    if (lc == 0 && !empty && links == 0 && inserted > 1) {
                        problems.add("node " + node + " has no level-0 link");
                    }
                    for (int i = 1; i <= links; i++) {
                        int to = list[base + i];
                        if (to == node) {
                            problems.add("node " + node + " level " + lc + ": links to itself");
                        } else if (to < 0 || to >= count || rows.state(to) == VectorStore.EMPTY) {
                            problems.add("node " + node + " level " + lc + ": dangling link to " + to);
                        } else if (g.levels[to] < lc) {
                            problems.add("node " + node + " level " + lc + ": links to " + to + " of level "
                                    + g.levels[to]);
                        } else {
                            for (int j = 1; j < i; j++) {
                                if (list[base + j] == to) {
                                    problems.add("node " + node + " level " + lc + ": link to " + to + " repeated");
                                }
                            }
                            if (lc == 0) {
                                float expected = store.score(rows, node, to);
                                float recorded = g.scores0[base + i];
                                if (Math.abs(expected - recorded) > 1e-4f * Math.max(1f, Math.abs(expected))) {
                                    problems.add("node " + node + " link to " + to + " records score " + recorded
                                            + ", the pair scores " + expected);
                                }
                            }
                        }
                    }
                }
            }
        } finally {
            store.lock.writeLock().unlock();
        }
        return problems;
    }

    /**
     * Ids of live nodes that no walk over level-0 links from the entry point reaches (through live and deleted
     * nodes alike): a graph search cannot return them at any {@code ef}. The neighbour-selection heuristic can
     * prune every link into a node; this measures how often. Call on a quiescent index.
     */
    List<Long> unreachableIds() {
        return unreachable(true);
    }

    /**
     * How many live vectors no walk over level-0 links from the entry point reaches, so that no search can return
     * them at any {@code ef} (a diagnostic of graph quality; 0 for a connected graph). Briefly blocks adds.
     */
    public int unreachableCount() {
        return unreachable(false).size();
    }

    private List<Long> unreachable(boolean withIds) {
        store.lock.writeLock().lock();
        try {
            Graph g = graph;
            VectorStore.Rows rows = store.rows();
            int count = nodesWithRows(rows);
            Entry top = entry.get();
            boolean[] reached = new boolean[count];
            if (top != null) {
                int[] stack = new int[count];
                int size = 0;
                stack[size++] = top.node();
                reached[top.node()] = true;
                while (size > 0) {
                    int node = stack[--size];
                    int base = node * stride0;
                    for (int i = 1; i <= g.level0[base]; i++) {
                        int to = g.level0[base + i];
                        if (!reached[to]) {
                            reached[to] = true;
                            stack[size++] = to;
                        }
                    }
                }
            }
            List<Long> unreachable = new ArrayList<>();
            for (int node = 0; node < count; node++) {
                if (!reached[node] && rows.state(node) == VectorStore.LIVE) {
                    unreachable.add(withIds ? rows.ids()[node] : 0L);
                }
            }
            return unreachable;
        } finally {
            store.lock.writeLock().unlock();
        }
    }

    // ---------------------------------------------------------------- connectivity

    /**
     * Nodes handed out that also have rows (and graph slots): a writer reserves its nodes before it grows the
     * store, so in between {@link VectorStore#nodeCount()} can run past the capacity. Such nodes hold nothing
     * yet (inserting needs the capacity first), so walks over the graph stop below them.
     */
    private int nodesWithRows(VectorStore.Rows rows) {
        return Math.min(store.nodeCount(), rows.capacity());
    }


    /**
     * Repairs once the graph has grown by an eighth since the last repair, so that a build made of many small
     * batches pays about {@code 8·2M} link reads per insert for it (the walk over all links is linear).
     */
    private void repairIfGrown() {
        int inserted = insertedSinceRepair.get();
        if (autoRepair && inserted > 0 && 8L * inserted >= store.nodeCount()) {
            repairConnectivity();
        }
    }

    /**
     * Makes every live vector reachable by a search: the neighbour-selection heuristic can prune every link into a
     * node (a few per ten thousand on clustered data), and no search at any {@code ef} returns such a node. Each
     * live node that no level-0 walk from the entry point reaches gets a link from the nearest reachable node
     * (found by a graph search for its vector), which replaces that node's worst link if its list is full (a link
     * whose target keeps another incoming link, so that the repair does not cut off another node); the walk then
     * continues from the linked node, so a whole cut-off group costs one link.
     *
     * <p>Called by {@link #addAll} once the graph has grown by an eighth since the last repair, and by
     * {@link #save} when nodes were added since; call it directly after a series of small adds. Blocks adds,
     * updates and deletes while it runs (searches continue: each link is replaced by one atomic write, and a
     * concurrent search sees the old target or the new one). Deterministic for a given graph.
     *
     * @return how many nodes it linked (0 when the graph was connected)
     */
    public int repairConnectivity() {
        store.lock.writeLock().lock();
        try {
            insertedSinceRepair.set(0);
            int linked = 0;
            // A replaced link could in rare cases have been the last route to a reached node; walk again until
            // a pass finds nothing (the second pass almost always does).
            for (int pass = 0; pass < 4; pass++) {
                int now = repairPass();
                linked += now;
                if (now == 0) {
                    break;
                }
            }
            return linked;
        } finally {
            store.lock.writeLock().unlock();
        }
    }

    /** One walk and repair; caller holds the write lock, so only searches run meanwhile. */
    private int repairPass() {
        Entry top = entry.get();
        if (top == null) {
            return 0;
        }
        Graph g = graph;
        VectorStore.Rows rows = store.rows();
        int count = nodesWithRows(rows);
        int[] inDegree = new int[count];
        for (int node = 0; node < count; node++) {
            int base = node * stride0;
            for (int i = 1; i <= g.level0[base]; i++) {
                inDegree[g.level0[base + i]]++;
            }
        }
        boolean[] reached = new boolean[count];
        int[] stack = new int[count];
        walk(top.node(), g, reached, stack);
        int linked = 0;
        for (int node = 0; node < count; node++) {
            if (reached[node] || rows.state(node) != VectorStore.LIVE) {
                continue;
            }
            linkFromReached(node, top, g, rows, reached, inDegree);
            linked++;
            walk(node, g, reached, stack);
        }
        return linked;
    }

    /** Marks every node a level-0 walk from {@code start} reaches. */
    private void walk(int start, Graph g, boolean[] reached, int[] stack) {
        int size = 0;
        stack[size++] = start;
        reached[start] = true;
        while (size > 0) {
            int node = stack[--size];
            int base = node * stride0;
            for (int i = 1; i <= g.level0[base]; i++) {
                int to = g.level0[base + i];
                if (!reached[to]) {
                    reached[to] = true;
                    stack[size++] = to;
                }
            }
        }
    }

    /**
     * Links {@code orphan} from the most similar reached node that has a free slot or a link it can spare (one
     * whose target has another incoming link); failing that, from the most similar reached node, dropping its
     * worst link.
     */
    private void linkFromReached(int orphan, Entry top, Graph g, VectorStore.Rows rows, boolean[] reached,
                                 int[] inDegree) {
        Scratch s = scratch.get();
        int found = searchForNode(orphan, top, g, rows, s);
        int fallback = top.node();
        boolean haveFallback = false;
        for (int i = 0; i < found; i++) {
            int candidate = NodeQueue.node(s.found[i]);
            if (candidate == orphan || !reached[candidate]) {
                continue;
            }
            if (!haveFallback) {
                fallback = candidate;
                haveFallback = true;
            }
            if (placeLink(candidate, orphan, g, rows, inDegree, false)) {
                return;
            }
        }
        placeLink(fallback, orphan, g, rows, inDegree, true);
    }

    /** Greedy descent from the entry point through the upper levels: the node to start the level-0 search from. */
    private int descendToLevel0(Scratch s, float[] q, Entry top, Graph g, VectorStore.Rows rows) {
        int current = top.node();
        float currentScore = store.score(q, rows, current);
        for (int lc = top.level(); lc > 0; lc--) {
            long best = greedy(s, q, current, currentScore, lc, g, rows);
            current = NodeQueue.node(best);
            currentScore = NodeQueue.score(best);
        }
        return current;
    }

    /**
     * A level-0 graph search (beam efConstruction, deleted nodes included) for the vector of {@code node}; leaves
     * the results best first in {@code s.found} and returns their count.
     */
    private int searchForNode(int node, Entry top, Graph g, VectorStore.Rows rows, Scratch s) {
        float[] vector = Arrays.copyOfRange(rows.vectors(), node * store.dimension, (node + 1) * store.dimension);
        s.seed[0] = descendToLevel0(s, vector, top, g, rows);
        searchLayer(s, vector, s.seed, 1, efConstruction, 0, g, rows, false, null);
        return s.results.drainBestFirst(s.found(efConstruction));
    }

    /**
     * Adds a level-0 link {@code owner → target}: into a free slot, else over the owner's worst link whose target
     * has another incoming link (any worst link when {@code force}). Returns false if it placed nothing.
     */
    private boolean placeLink(int owner, int target, Graph g, VectorStore.Rows rows, int[] inDegree,
                              boolean force) {
        int base = owner * stride0;
        int count = g.level0[base];
        float score = store.score(rows, owner, target);
        int slot;
        if (count < 2 * m) {
            slot = count;
        } else {
            slot = -1;
            for (int i = 0; i < count; i++) {
                int to = g.level0[base + 1 + i];
                if ((force || inDegree[to] > 1) && (slot < 0 || g.scores0[base + 1 + i] < g.scores0[base + 1 + slot])) {
                    slot = i;
                }
            }
            if (slot < 0) {
                return false;
            }
            inDegree[g.level0[base + 1 + slot]]--;
        }
        g.scores0[base + 1 + slot] = score;
        if (slot < Long.SIZE) {
            g.checked0[owner] &= ~(1L << slot); // the new link was never compared with the others
        }
        INTS.setRelease(g.level0, base + 1 + slot, target); // one atomic write: searches see old or new target
        if (slot == count) {
            INTS.setRelease(g.level0, base, count + 1);
        }
        inDegree[target]++;
        return true;
    }

    // ---------------------------------------------------------------- compaction

    /** A copy of the stored (prepared: normalised under cosine) vector of a live id, or null; for tests. */
    float[] storedVector(long id) {
        int node = store.nodeOf(id);
        if (node < 0) {
            return null;
        }
        VectorStore.Rows rows = store.rows();
        return Arrays.copyOfRange(rows.vectors(), node * store.dimension, (node + 1) * store.dimension);
    }

    /** Deleted vectors still held as tombstones (they route searches and take memory until {@link #compact}). */
    public int deletedCount() {
        VectorStore.Rows rows = store.rows();
        int count = nodesWithRows(rows);
        int deleted = 0;
        for (int node = 0; node < count; node++) {
            deleted += rows.state(node) == VectorStore.DELETED ? 1 : 0;
        }
        return deleted;
    }

    /**
     * A new index holding only this index's live vectors (same ids, vectors, parameters and model), without the
     * tombstones that deletes and updates leave: they keep routing searches and taking memory and file space
     * forever otherwise. Worth calling once deleted vectors are a sizeable share, say a fifth
     * ({@link #deletedCount()} against {@link #size()}).
     *
     * <p>The graph is carried over, not rebuilt: each node keeps its level and its links to live nodes; a node
     * that linked to deleted ones chooses again, with the neighbour-selection heuristic, among its live links and
     * the live nodes reached through the deleted ones (topped up to its former number of links); then
     * {@link #repairConnectivity} links any node left unreachable. Cost: scoring up to some hundreds of candidates
     * per node that lost a link (on the build threads); with a fifth deleted, about a quarter of a build's CPU time at
     * efConstruction 200 and as much as a build at 64 (benchmarks/README.md). This index is not changed and stays
     * usable; searches on it continue meanwhile, adds and deletes wait. Node order (and with it the order of ties)
     * follows insertion order, as in this index.
     */
    public HnswIndex compact() {
        store.lock.writeLock().lock();
        try {
            return compacted();
        } finally {
            store.lock.writeLock().unlock();
        }
    }

    private HnswIndex compacted() {
        Graph g = graph;
        VectorStore.Rows rows = store.rows();
        int count = nodesWithRows(rows);
        int dimension = store.dimension;
        int[] renumbered = new int[count];
        int live = 0;
        for (int node = 0; node < count; node++) {
            renumbered[node] = rows.state(node) == VectorStore.LIVE ? live++ : -1;
        }
        int capacity = Math.max(1, live);
        float[] vectors = new float[capacity * dimension];
        long[] ids = new long[capacity];
        byte[] states = new byte[capacity];
        Graph packed = new Graph(new int[capacity * stride0], new float[capacity * stride0], new byte[capacity],
                new int[capacity][]);
        Entry top = entry.get();
        Entry newTop = null;
        for (int node = 0; node < count; node++) {
            int to = renumbered[node];
            if (to < 0) {
                continue;
            }
            System.arraycopy(rows.vectors(), node * dimension, vectors, to * dimension, dimension);
            ids[to] = rows.ids()[node];
            states[to] = VectorStore.LIVE;
            int level = g.levels[node];
            packed.levels[to] = (byte) level;
            if (level > 0) {
                packed.upper[to] = new int[level * strideUp];
            }
            if (newTop == null || level > newTop.level() || (top != null && node == top.node())) {
                newTop = new Entry(to, level); // the old entry if live, else the first live node of the top level
            }
        }
        // Each node's new lists depend only on the old graph, so nodes are relinked in parallel (chunks of 256),
        // with the same result on any number of threads.
        int chunks = (count + 255) / 256;
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            Relinking relinking = new Relinking(count, 2 * m);
            Scratch s = scratch.get();
            for (int chunk; (chunk = next.getAndIncrement()) < chunks; ) {
                for (int node = chunk * 256; node < Math.min(count, (chunk + 1) * 256); node++) {
                    int to = renumbered[node];
                    if (to >= 0) {
                        relink(node, to, g, packed, rows, renumbered, relinking, s);
                    }
                }
            }
        };
        runOnThreads(worker, Math.min(buildThreads, chunks), "bicross-hnsw-compact-");
        Builder b = builder(metadata, store.metric).m(m).efConstruction(efConstruction).efSearch(defaultEfSearch)
                .seed(seed).buildThreads(buildThreads);
        VectorStore compactStore = new VectorStore(dimension, store.metric, store.kernels, vectors, ids, states, live);
        HnswIndex compacted = new HnswIndex(b, compactStore, packed, newTop);
        compacted.restoreLinkScores(live);
        compacted.repairConnectivity();
        return compacted;
    }

    /** Writes the new lists of old node {@code node} (new number {@code to}) on each of its levels. */
    private void relink(int node, int to, Graph g, Graph packed, VectorStore.Rows rows, int[] renumbered,
                        Relinking relinking, Scratch s) {
        for (int lc = 0; lc <= g.levels[node]; lc++) {
            int[] list = lc == 0 ? g.level0 : g.upper[node];
            int base = lc == 0 ? node * stride0 : (lc - 1) * strideUp;
            int kept = relinking.liveLinks(node, list, base, lc, g, rows, renumbered, s);
            int[] out = lc == 0 ? packed.level0 : packed.upper[to];
            int outBase = lc == 0 ? to * stride0 : (lc - 1) * strideUp;
            for (int i = 0; i < kept; i++) {
                out[outBase + 1 + i] = renumbered[relinking.links[i]];
            }
            out[outBase] = kept;
        }
    }

    /** Per-level link lists of a compaction: live links kept, deleted ones replaced through the diversity rule. */
    private final class Relinking {
        final int[] links;
        private final long[] candidates;
        private final long[] chosen;
        private final int[] seen; // stamp per old node
        private final int[] pending; // live candidates, scored in one batch
        private final float[] pendingScores;
        private final int[] frontier;
        private int stamp;

        Relinking(int nodes, int maxLinks) {
            // Candidates: at most the live nodes behind a bounded number of deleted ones.
            links = new int[maxLinks];
            candidates = new long[EXPANSION_LIMIT * (maxLinks + 1)];
            pending = new int[candidates.length + 4];
            pendingScores = new float[candidates.length + 4];
            chosen = new long[maxLinks];
            seen = new int[nodes];
            frontier = new int[EXPANSION_LIMIT];
        }

        /**
         * Fills {@link #links} with the (old) nodes {@code node} should link to on level {@code lc}: its links if
         * all are live, else the heuristic's choice among its live links and live nodes found by walking through
         * up to {@value #EXPANSION_LIMIT} deleted ones breadth first, topped up with the best of the rest to the
         * number of links it had (the heuristic alone keeps fewer than a build leaves; 1 hop instead of the walk,
         * or no top-up, lowered recall at ef 20 in {@code HnswCompactionTest} from 0.72 to 0.58). Returns how
         * many.
         */
        int liveLinks(int node, int[] list, int base, int lc, Graph g, VectorStore.Rows rows, int[] renumbered,
                      Scratch s) {
            int count = list[base];
            boolean allLive = true;
            for (int i = 1; i <= count; i++) {
                allLive &= renumbered[list[base + i]] >= 0;
            }
            if (allLive) {
                System.arraycopy(list, base + 1, links, 0, count);
                return count;
            }
            stamp++;
            seen[node] = stamp;
            int found = 0;
            int head = 0;
            int tail = 0;
            int[] current = list;
            int currentBase = base;
            int currentCount = count;
            while (true) {
                for (int i = 1; i <= currentCount; i++) {
                    int to = current[currentBase + i];
                    if (seen[to] == stamp) {
                        continue;
                    }
                    seen[to] = stamp;
                    if (renumbered[to] >= 0) {
                        if (found < candidates.length) {
                            pending[found++] = to;
                        }
                    } else if (tail < frontier.length) {
                        frontier[tail++] = to;
                    }
                }
                if (head == tail) {
                    break;
                }
                int deleted = frontier[head++];
                current = lc == 0 ? g.level0 : g.upper[deleted];
                currentBase = lc == 0 ? deleted * stride0 : (lc - 1) * strideUp;
                currentCount = current[currentBase];
            }
            if (found > 0) {
                float[] vector = Arrays.copyOfRange(rows.vectors(), node * store.dimension,
                        (node + 1) * store.dimension);
                store.scoreBatch(vector, rows, pending, found, pendingScores); // 4 rows per pass: faster than pairs
                for (int i = 0; i < found; i++) {
                    candidates[i] = NodeQueue.encode(pending[i], pendingScores[i]);
                }
            }
            if (found == 0 && lc == 0 && entry.get() != null) {
                // Every link led to deleted nodes that lead nowhere live: search the old graph for new ones.
                int results = searchForNode(node, entry.get(), g, rows, s);
                for (int i = 0; i < results && found < candidates.length; i++) {
                    int to = NodeQueue.node(s.found[i]);
                    if (to != node && renumbered[to] >= 0) {
                        candidates[found++] = s.found[i];
                    }
                }
            }
            Arrays.sort(candidates, 0, found);
            reverse(candidates, found);
            int max = lc == 0 ? 2 * m : m;
            // All candidates, not just the best efConstruction: the far ones reached through deleted nodes are
            // the long links that keep clusters connected (capping them cost most of the recall in the test).
            int kept = selectDiverse(node, candidates, found, max, rows, chosen);
            for (int i = 0; i < kept; i++) {
                links[i] = NodeQueue.node(chosen[i]);
            }
            int target = Math.min(count, max);
            for (int i = 0; i < found && kept < target; i++) {
                int candidate = NodeQueue.node(candidates[i]);
                boolean taken = false;
                for (int j = 0; j < kept && !taken; j++) {
                    taken = links[j] == candidate;
                }
                if (!taken) {
                    links[kept++] = candidate;
                }
            }
            return kept;
        }
    }

    /** Deleted nodes a compaction walks through to replace one node's links to deleted nodes on one level. */
    private static final int EXPANSION_LIMIT = 64;

    // ---------------------------------------------------------------- persistence

    @Override
    public void save(Path file) throws IOException {
        store.lock.writeLock().lock();
        try {
            if (autoRepair && insertedSinceRepair.get() > 0) {
                repairConnectivity(); // re-enters the write lock; the file gets the connected graph
            }
            IndexFile.write(file, metadata, store,
                    new IndexFile.GraphSection(graph, entry.get() == null ? -1 : entry.get().node(),
                            entry.get() == null ? -1 : entry.get().level(), m, efConstruction, defaultEfSearch, seed));
        } finally {
            store.lock.writeLock().unlock();
        }
    }
}
