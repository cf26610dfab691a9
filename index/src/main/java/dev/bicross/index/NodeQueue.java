package dev.bicross.index;

/**
 * A binary heap of (node, score) pairs packed into longs: the high 32 bits hold the score's bits mapped to a
 * sortable int, the low 32 bits the inverted node. One long comparison orders by score, then by earlier node,
 * with no objects.
 * {@code worstFirst} heaps keep the worst score on top (bounded result sets); the others keep the best on top
 * (candidate frontiers). Scratch: reused across searches, not thread-safe.
 */
final class NodeQueue {

    private final boolean worstFirst;
    private long[] heap;
    private int size;

    NodeQueue(int initialCapacity, boolean worstFirst) {
        this.heap = new long[Math.max(8, initialCapacity)];
        this.worstFirst = worstFirst;
    }

    static long encode(int node, float score) {
        int bits = Float.floatToIntBits(score);
        int sortable = bits ^ ((bits >> 31) & 0x7fffffff);
        // The node is stored inverted so that, between equal scores, the earlier-added node ranks higher.
        return ((long) sortable << 32) | (~node & 0xffffffffL);
    }

    static int node(long encoded) {
        return ~(int) encoded;
    }

    static float score(long encoded) {
        int sortable = (int) (encoded >>> 32);
        return Float.intBitsToFloat(sortable ^ ((sortable >> 31) & 0x7fffffff));
    }

    int size() {
        return size;
    }

    void clear() {
        size = 0;
    }

    void push(int node, float score) {
        long key = encode(node, score);
        // Stored so that the smallest stored value is on top: the worst (lowest score) or the best (~ inverts).
        long stored = worstFirst ? key : ~key;
        if (size == heap.length) {
            heap = java.util.Arrays.copyOf(heap, size * 2);
        }
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] <= stored) {
                break;
            }
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = stored;
    }

    /** Pushes, then drops the top while size exceeds {@code limit} (for worst-first result sets). */
    void pushBounded(int node, float score, int limit) {
        push(node, score);
        if (size > limit) {
            pop();
        }
    }

    long top() {
        return worstFirst ? heap[0] : ~heap[0];
    }

    int topNode() {
        return node(top());
    }

    float topScore() {
        return score(top());
    }

    long pop() {
        long result = top();
        long last = heap[--size];
        int i = 0;
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            if (child + 1 < size && heap[child + 1] < heap[child]) {
                child++;
            }
            if (last <= heap[child]) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        if (size > 0) {
            heap[i] = last;
        }
        return result;
    }

    /** Empties a worst-first queue into {@code out} ordered best first; returns the count. */
    int drainBestFirst(long[] out) {
        int n = size;
        for (int i = n - 1; i >= 0; i--) {
            out[i] = pop();
        }
        return n;
    }
}
