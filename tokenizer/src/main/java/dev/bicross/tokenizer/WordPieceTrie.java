package dev.bicross.tokenizer;

import java.util.Arrays;
import java.util.Map;

/**
 * The WordPiece vocabulary, laid out for greedy longest-match: a char trie, so that the longest vocabulary prefix
 * of a word is found in one forward walk instead of HF's shrinking-substring lookups (both give the same match),
 * plus a whole-word table, because most words are a single vocabulary entry and one hash probe settles them.
 * Trie edges are packed into one {@code long[]} ({@code node | char | child}) of about 2 MB so that the walk stays
 * in cache; the children of the root and of the {@code ##} node are direct arrays. Immutable.
 */
final class WordPieceTrie {

    static final int NONE = -1;
    private static final long EMPTY = -1L;
    private static final int NODE_BITS = 24;
    private static final long CHILD_MASK = (1L << NODE_BITS) - 1;

    /** Edges: {@code node << 40 | char << 24 | child}. */
    private final long[] edges;
    private final int edgeShift;
    /** Vocabulary id of the token that ends at each node, or {@link #NONE}. */
    private final int[] tokenIds;
    private final int[] rootChildren = new int[65536];
    private final int[] continuationChildren = new int[65536];

    /**
     * Whole tokens, open addressing, two longs per slot so that one cache line answers: {@code hash << 32 | id}
     * and {@code poolStart << 8 | length} of the token's chars in {@link #pool}.
     */
    private final long[] words;
    private final int wordShift;
    private final char[] pool;

    WordPieceTrie(Map<String, Integer> vocab, String continuingSubwordPrefix) {
        // Build into a roomy table (one slot per vocabulary char at most), then pack into a right-sized one.
        long totalChars = 0;
        for (String token : vocab.keySet()) {
            totalChars += token.length();
        }
        if (totalChars >= CHILD_MASK) {
            throw new IllegalArgumentException("vocabulary too large for the trie: " + totalChars + " chars");
        }
        long[] roomy = newTable((int) totalChars);
        int roomyShift = 64 - Integer.numberOfTrailingZeros(roomy.length);
        int[] ids = new int[(int) totalChars + 1];
        Arrays.fill(ids, NONE);
        int nodes = 1;
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            String token = e.getKey();
            int node = 0;
            for (int i = 0; i < token.length(); i++) {
                int next = find(roomy, roomyShift, node, token.charAt(i));
                if (next == NONE) {
                    next = nodes++;
                    put(roomy, roomyShift, edgeKey(node, token.charAt(i)), next);
                }
                node = next;
            }
            ids[node] = e.getValue();
        }
        tokenIds = Arrays.copyOf(ids, nodes);
        edges = newTable(nodes - 1);
        edgeShift = 64 - Integer.numberOfTrailingZeros(edges.length);
        for (long edge : roomy) {
            if (edge != EMPTY) {
                put(edges, edgeShift, edge >>> NODE_BITS, (int) (edge & CHILD_MASK));
            }
        }
        int cont = 0;
        for (int i = 0; i < continuingSubwordPrefix.length() && cont != NONE; i++) {
            cont = next(cont, continuingSubwordPrefix.charAt(i));
        }
        for (int c = 0; c < 65536; c++) {
            rootChildren[c] = next(0, (char) c);
            continuationChildren[c] = cont == NONE ? NONE : next(cont, (char) c);
        }

        int wordCapacity = Integer.highestOneBit(Math.max(16, vocab.size() * 2 - 1)) << 1;
        words = new long[2 * wordCapacity];
        Arrays.fill(words, EMPTY);
        wordShift = 64 - Integer.numberOfTrailingZeros(wordCapacity);
        StringBuilder chars = new StringBuilder();
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            String token = e.getKey();
            if (token.length() > 255) {
                continue; // the trie still has it
            }
            int hash = hash(token.toCharArray(), 0, token.length());
            int slot = slot(hash, wordShift);
            while (words[2 * slot] != EMPTY) {
                slot = (slot + 1) & (wordCapacity - 1);
            }
            words[2 * slot] = (long) hash << 32 | e.getValue();
            words[2 * slot + 1] = (long) chars.length() << 8 | token.length();
            chars.append(token);
        }
        pool = chars.toString().toCharArray();
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
        return find(edges, edgeShift, node, c);
    }

    /** An empty edge table with at least twice as many slots as {@code entries}. */
    private static long[] newTable(int entries) {
        long[] table = new long[Integer.highestOneBit(Math.max(16, entries * 2 - 1)) << 1];
        Arrays.fill(table, EMPTY);
        return table;
    }

    private static int find(long[] table, int shift, int node, char c) {
        long key = edgeKey(node, c);
        int mask = table.length - 1;
        for (int slot = slot(key, shift); ; slot = (slot + 1) & mask) {
            long e = table[slot];
            if (e >>> NODE_BITS == key) {
                return (int) (e & CHILD_MASK);
            }
            if (e == EMPTY) {
                return NONE;
            }
        }
    }

    private static void put(long[] table, int shift, long key, int child) {
        int mask = table.length - 1;
        int slot = slot(key, shift);
        while (table[slot] != EMPTY) {
            slot = (slot + 1) & mask;
        }
        table[slot] = key << NODE_BITS | child;
    }

    /** The vocabulary id of the token spelled by the path to {@code node}, or {@link #NONE}. */
    int tokenId(int node) {
        return tokenIds[node];
    }

    /** The id of the vocabulary token equal to {@code chars[0, length)}, or {@link #NONE}. */
    int wholeWord(char[] chars, int length) {
        int hash = hash(chars, 0, length);
        int mask = (words.length >> 1) - 1;
        for (int slot = slot(hash, wordShift); ; slot = (slot + 1) & mask) {
            long w = words[2 * slot];
            if (w == EMPTY) {
                return NONE;
            }
            if ((int) (w >>> 32) == hash) {
                long where = words[2 * slot + 1];
                if ((int) (where & 0xFF) == length && samePrefix(chars, (int) (where >>> 8), length)) {
                    return (int) w;
                }
            }
        }
    }

    /** Plain loop: words are short, where {@code Arrays.equals}' vectorized stub costs more than it saves. */
    private boolean samePrefix(char[] chars, int poolFrom, int length) {
        for (int i = 0; i < length; i++) {
            if (pool[poolFrom + i] != chars[i]) {
                return false;
            }
        }
        return true;
    }

    private static long edgeKey(int node, char c) {
        return (long) node << 16 | c;
    }

    private static int hash(char[] chars, int from, int to) {
        int h = 0;
        for (int i = from; i < to; i++) {
            h = 31 * h + chars[i];
        }
        return h;
    }

    private static int slot(long key, int shift) {
        return (int) ((key * 0x9E3779B97F4A7C15L) >>> shift);
    }
}
