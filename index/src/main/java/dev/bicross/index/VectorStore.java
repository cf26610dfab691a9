package dev.bicross.index;

import dev.bicross.index.kernel.DistanceKernels;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.IntConsumer;
import java.util.function.LongPredicate;
import java.util.stream.IntStream;

/**
 * The vectors of an index, in one contiguous row-major {@code float[]} block (node {@code n} occupies
 * {@code [n*dimension, (n+1)*dimension)}), with the caller id and a life-cycle state per node, and the map from
 * caller ids to nodes.
 *
 * <p>Nodes are dense ordinals handed out in order and never reused: deleting marks the node {@link #DELETED}
 * (a tombstone) and re-adding an id takes a new node. Growing copies the arrays into bigger ones and publishes
 * them through a volatile {@link Rows}; writers of node data hold {@link #lock}'s read lock, growth holds its
 * write lock, so no write can land in an array that was already copied. Readers take no lock: a {@code Rows}
 * they hold stays valid for every node that existed when they read it.
 */
final class VectorStore {

    static final byte EMPTY = 0;
    static final byte LIVE = 1;
    static final byte DELETED = 2;

    private static final VarHandle STATES = MethodHandles.arrayElementVarHandle(byte[].class);
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 16;
    /** Below this many nodes an exact scan is not worth splitting across threads. */
    private static final int PARALLEL_SCAN_MIN_NODES = 32_768;

    /** One generation of the arrays; {@code ids.length} is the capacity in nodes. */
    record Rows(float[] vectors, long[] ids, byte[] states) {
        int capacity() {
            return ids.length;
        }

        byte state(int node) {
            return (byte) STATES.getAcquire(states, node);
        }
    }

    final int dimension;
    final Metric metric;
    final DistanceKernels kernels;
    final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    private volatile Rows rows;
    private final Object idLock = new Object();
    private final LongIntMap nodesById;
    private volatile int nodeCount; // nodes handed out, guarded by idLock for writes

    VectorStore(int dimension, Metric metric, DistanceKernels kernels, int initialCapacity) {
        this.dimension = dimension;
        this.metric = metric;
        this.kernels = kernels;
        int capacity = Math.max(1, Math.min(initialCapacity, maxNodes()));
        this.rows = new Rows(new float[capacity * dimension], new long[capacity], new byte[capacity]);
        this.nodesById = new LongIntMap(capacity);
    }

    /** Rebuilds a store from loaded arrays (all of length {@code count}, or {@code count*dimension}). */
    VectorStore(int dimension, Metric metric, DistanceKernels kernels, float[] vectors, long[] ids, byte[] states,
                int count) {
        this.dimension = dimension;
        this.metric = metric;
        this.kernels = kernels;
        this.rows = new Rows(vectors, ids, states);
        this.nodesById = new LongIntMap(count);
        for (int node = 0; node < count; node++) {
            if (states[node] == LIVE) {
                nodesById.put(ids[node], node);
            }
        }
        this.nodeCount = count;
    }

    private int maxNodes() {
        return MAX_ARRAY / dimension;
    }

    Rows rows() {
        return rows;
    }

    /** Nodes handed out so far (live, deleted, or still being inserted). */
    int nodeCount() {
        return nodeCount;
    }

    /** Live ids. */
    int size() {
        synchronized (idLock) {
            return nodesById.size();
        }
    }

    /** The node of a live id, or -1. */
    int nodeOf(long id) {
        synchronized (idLock) {
            return nodesById.get(id);
        }
    }

    boolean contains(long id) {
        synchronized (idLock) {
            return nodesById.get(id) >= 0;
        }
    }

    float[] prepare(float[] vector, String what) {
        return metric.prepare(vector, dimension, what);
    }

    /**
     * Hands out consecutive nodes for {@code ids} and maps them, or changes nothing and throws if an id is
     * already present (or repeated within {@code ids}).
     *
     * @return the first node
     */
    int reserve(long[] ids) {
        synchronized (idLock) {
            LongIntMap batch = ids.length > 1 ? new LongIntMap(ids.length) : null;
            for (int i = 0; i < ids.length; i++) {
                if (nodesById.get(ids[i]) >= 0) {
                    throw new IllegalArgumentException("duplicate id " + ids[i] + ": already in the index"
                            + " (use update to replace its vector)");
                }
                if (batch != null && batch.put(ids[i], i) >= 0) {
                    throw new IllegalArgumentException("duplicate id " + ids[i] + " at positions "
                            + batch.get(ids[i]) + " and " + i + " of the batch");
                }
            }
            if ((long) nodeCount + ids.length > maxNodes()) {
                throw new IllegalStateException("index is full: " + nodeCount + " nodes of dimension " + dimension
                        + " (at most " + maxNodes() + " fit in one vector block)");
            }
            int first = nodeCount;
            for (int i = 0; i < ids.length; i++) {
                nodesById.put(ids[i], first + i);
            }
            nodeCount = first + ids.length;
            return first;
        }
    }

    /**
     * Points {@code id} at a fresh node (update): returns the new node in the low half and the previous node
     * (or -1) in the high half of a long.
     */
    long reserveReplacement(long id) {
        synchronized (idLock) {
            if (nodeCount + 1L > maxNodes()) {
                throw new IllegalStateException("index is full: " + nodeCount + " nodes");
            }
            int node = nodeCount++;
            int previous = nodesById.put(id, node);
            return ((long) previous << 32) | (node & 0xffffffffL);
        }
    }

    /** Unmaps {@code id}; returns its node or -1. The caller marks the node deleted. */
    int unmap(long id) {
        synchronized (idLock) {
            return nodesById.remove(id);
        }
    }

    /**
     * Makes room for nodes below {@code required}; {@code growGraph} is called with the new capacity under the
     * same write lock, after the rows are published (readers rely on that order, see HnswIndex).
     */
    void ensureCapacity(int required, IntConsumer growGraph) {
        if (required <= rows.capacity()) {
            return;
        }
        lock.writeLock().lock();
        try {
            Rows current = rows;
            if (required <= current.capacity()) {
                return;
            }
            int capacity = (int) Math.min(maxNodes(), Math.max(required, 2L * current.capacity()));
            rows = new Rows(Arrays.copyOf(current.vectors, capacity * dimension),
                    Arrays.copyOf(current.ids, capacity), Arrays.copyOf(current.states, capacity));
            growGraph.accept(capacity);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Stores a prepared vector; caller holds the read lock. The node becomes visible with {@link #markLive}. */
    void write(int node, long id, float[] prepared) {
        Rows r = rows;
        System.arraycopy(prepared, 0, r.vectors, node * dimension, dimension);
        r.ids[node] = id;
    }

    /** EMPTY → LIVE; a node deleted while being inserted stays deleted. Caller holds the read lock. */
    void markLive(int node) {
        STATES.compareAndSet(rows.states, node, EMPTY, LIVE);
    }

    /** Caller holds the read lock. */
    void markDeleted(int node) {
        STATES.setRelease(rows.states, node, DELETED);
    }

    /** One query-to-row score (through the batch kernel, so it has the same bits as in any batch). */
    float score(float[] query, Rows r, int node) {
        float[] out = new float[4];
        metric.scoreBatch(kernels, query, r.vectors, dimension, new int[] {node}, 1, out);
        return out[0];
    }

    /** Query-to-row scores of {@code nodes[0..count)} into {@code out} (length >= count rounded up to 4). */
    void scoreBatch(float[] query, Rows r, int[] nodes, int count, float[] out) {
        metric.scoreBatch(kernels, query, r.vectors, dimension, nodes, count, out);
    }

    float score(Rows r, int nodeA, int nodeB) {
        return metric.score(kernels, r.vectors, nodeA * dimension, nodeB * dimension, dimension);
    }

    /**
     * Exact top-k over live nodes accepted by {@code filter} (null accepts all), best first. Without a filter,
     * large stores are scanned in parallel (the filter is caller code and may not be thread-safe).
     */
    List<SearchHit> exactSearch(float[] query, int k, LongPredicate filter) {
        Rows r = rows;
        int count = Math.min(nodeCount, r.capacity());
        int parts = filter == null && count >= PARALLEL_SCAN_MIN_NODES
                ? Math.min(Runtime.getRuntime().availableProcessors(), count / (PARALLEL_SCAN_MIN_NODES / 2)) : 1;
        NodeQueue best;
        if (parts <= 1) {
            best = scan(query, k, filter, r, 0, count);
        } else {
            NodeQueue[] partial = IntStream.range(0, parts).parallel()
                    .mapToObj(p -> scan(query, k, null, r, (int) ((long) count * p / parts),
                            (int) ((long) count * (p + 1) / parts)))
                    .toArray(NodeQueue[]::new);
            best = partial[0];
            for (int p = 1; p < parts; p++) {
                NodeQueue other = partial[p];
                while (other.size() > 0) {
                    long e = other.pop();
                    best.pushBounded(NodeQueue.node(e), NodeQueue.score(e), k);
                }
            }
        }
        return hits(best, r);
    }

    private NodeQueue scan(float[] query, int k, LongPredicate filter, Rows r, int from, int to) {
        NodeQueue best = new NodeQueue(k + 1, true);
        int[] batch = new int[64];
        float[] scores = new float[64];
        int pending = 0;
        for (int node = from; node < to; node++) {
            if (r.state(node) != LIVE || (filter != null && !filter.test(r.ids[node]))) {
                continue;
            }
            batch[pending++] = node;
            if (pending == batch.length || node == to - 1) {
                collect(query, k, r, batch, pending, scores, best);
                pending = 0;
            }
        }
        collect(query, k, r, batch, pending, scores, best);
        return best;
    }

    private void collect(float[] query, int k, Rows r, int[] batch, int count, float[] scores, NodeQueue best) {
        if (count == 0) {
            return;
        }
        scoreBatch(query, r, batch, count, scores);
        for (int i = 0; i < count; i++) {
            // Compare packed (score, node) so ties resolve the same way however the scan is split.
            if (best.size() < k || NodeQueue.encode(batch[i], scores[i]) > best.top()) {
                best.pushBounded(batch[i], scores[i], k);
            }
        }
    }

    /**
     * Empties a worst-first queue into hits, best first, each id once. An update replaces an id's node by a new
     * one; a search running meanwhile can find both live (the old before it is marked, the new after), so a
     * repeated id keeps only its best hit (the result then has one hit fewer).
     */
    static List<SearchHit> hits(NodeQueue queue, Rows r) {
        long[] drained = new long[queue.size()];
        int n = queue.drainBestFirst(drained);
        List<SearchHit> hits = new ArrayList<>(n);
        java.util.Set<Long> seen = n > 32 ? new java.util.HashSet<>() : null;
        for (int i = 0; i < n; i++) {
            long id = r.ids[NodeQueue.node(drained[i])];
            if (seen != null ? !seen.add(id) : hits.stream().anyMatch(h -> h.id() == id)) {
                continue;
            }
            hits.add(new SearchHit(id, NodeQueue.score(drained[i])));
        }
        return List.copyOf(hits);
    }

    /** Unmaps {@code id} and marks its node deleted (searches skip it); returns whether it was present. */
    boolean delete(long id) {
        int node = unmap(id);
        if (node < 0) {
            return false;
        }
        lock.readLock().lock();
        try {
            markDeleted(node);
        } finally {
            lock.readLock().unlock();
        }
        return true;
    }
}
