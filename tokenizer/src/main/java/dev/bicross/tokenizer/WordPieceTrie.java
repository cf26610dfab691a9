package dev.bicross.tokenizer;

import java.util.Arrays;
import java.util.Map;

/**
 * The WordPiece vocabulary as a char trie, so that the longest vocabulary prefix of a word is found in one
 * forward walk (one hash probe per char) instead of HF's shrinking-substring lookups; both give the same
 * greedy longest match. Edges live in one open-addressing table keyed by {@code (node, char)}; the root's and
 * the continuation root's children are direct arrays because every piece starts there. Immutable.
 */
final class WordPieceTrie {

    static final int NONE = -1;
    private static final long EMPTY = -1L;

    private final long[] keys;
    private final int[] targets;
    private final int shift;
    /** Vocabulary id of the token that ends at each node, or {@link #NONE}. */
    private final int[] tokenIds;
    private final int[] rootChildren = new int[65536];
    private final int[] continuationChildren = new int[65536];
    private final int continuationRoot;

    WordPieceTrie(Map<String, Integer> vocab, String continuingSubwordPrefix) {
        long edges = 0;
        for (String token : vocab.keySet()) {
            edges += token.length();
        }
        int capacity = Integer.highestOneBit((int) Math.max(16, edges * 2 - 1)) << 1;
        keys = new long[capacity];
        targets = new int[capacity];
        Arrays.fill(keys, EMPTY);
        shift = 64 - Integer.numberOfTrailingZeros(capacity);
        int[] ids = new int[(int) edges + 1];
        Arrays.fill(ids, NONE);
        int nodes = 1;
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            String token = e.getKey();
            int node = 0;
            for (int i = 0; i < token.length(); i++) {
                int next = find(node, token.charAt(i));
                if (next == NONE) {
                    next = nodes++;
                    insert(node, token.charAt(i), next);
                }
                node = next;
            }
            ids[node] = e.getValue();
        }
        tokenIds = Arrays.copyOf(ids, nodes);
        int cont = 0;
        for (int i = 0; i < continuingSubwordPrefix.length() && cont != NONE; i++) {
            cont = find(cont, continuingSubwordPrefix.charAt(i));
        }
        continuationRoot = cont;
        for (int c = 0; c < 65536; c++) {
            rootChildren[c] = find(0, (char) c);
            continuationChildren[c] = cont == NONE ? NONE : find(cont, (char) c);
        }
    }

    /** The node reached from the root by {@code c}, or {@link #NONE}. */
    int fromRoot(char c) {
        return rootChildren[c];
    }

    /** The node reached from the continuation prefix ({@code ##}) by {@code c}, or {@link #NONE}. */
    int fromContinuation(char c) {
        return continuationChildren[c];
    }

    /** The node reached from {@code node} by {@code c}, or {@link #NONE}. */
    int next(int node, char c) {
        return find(node, c);
    }

    /** The vocabulary id of the token spelled by the path to {@code node}, or {@link #NONE}. */
    int tokenId(int node) {
        return tokenIds[node];
    }

    boolean hasContinuation() {
        return continuationRoot != NONE;
    }

    private int find(int node, char c) {
        long key = ((long) node << 16) | c;
        int mask = keys.length - 1;
        for (int slot = slot(key); ; slot = (slot + 1) & mask) {
            long k = keys[slot];
            if (k == key) {
                return targets[slot];
            }
            if (k == EMPTY) {
                return NONE;
            }
        }
    }

    private void insert(int node, char c, int target) {
        long key = ((long) node << 16) | c;
        int mask = keys.length - 1;
        int slot = slot(key);
        while (keys[slot] != EMPTY) {
            slot = (slot + 1) & mask;
        }
        keys[slot] = key;
        targets[slot] = target;
    }

    private int slot(long key) {
        return (int) ((key * 0x9E3779B97F4A7C15L) >>> shift);
    }
}
