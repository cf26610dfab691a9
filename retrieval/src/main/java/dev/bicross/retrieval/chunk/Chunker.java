package dev.bicross.retrieval.chunk;

import dev.bicross.tokenizer.BertTokenizer;
import dev.bicross.tokenizer.Encoding;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts text into overlapping windows of word pieces, using the tokenizer's character offsets so every chunk is an
 * exact substring of the original. Windows start and end on word boundaries (never inside a {@code ##} piece), so
 * re-tokenizing a chunk gives back the same pieces. Thread-safe.
 */
public final class Chunker {

    private final BertTokenizer tokenizer;
    private final ChunkingSettings settings;

    public Chunker(BertTokenizer tokenizer, ChunkingSettings settings) {
        this.tokenizer = tokenizer;
        this.settings = settings;
    }

    public ChunkingSettings settings() {
        return settings;
    }

    /** The chunks of {@code text}; a text that fits one window (or has no tokens) is a single chunk of itself. */
    public List<Chunk> split(String text) {
        Encoding encoding = tokenizer.encode(text, Integer.MAX_VALUE);
        // Positions 1 .. length-2 are the text's pieces; 0 and length-1 are [CLS] and [SEP].
        int pieces = encoding.length() - 2;
        int window = settings.windowTokens();
        if (pieces <= window) {
            return List.of(new Chunk(0, text.length(), text, Math.max(0, pieces)));
        }
        String[] tokens = encoding.tokens();
        int[][] offsets = encoding.offsets();
        List<Chunk> chunks = new ArrayList<>();
        int start = 0; // index into the pieces
        while (true) {
            int end = Math.min(start + window, pieces);
            if (end < pieces) {
                end = wordStartAtOrBefore(tokens, end, start + window / 2);
            }
            int from = offsets[start + 1][0];
            int to = offsets[end][1]; // piece end-1 is at position end
            chunks.add(new Chunk(from, to, text.substring(from, to), end - start));
            if (end >= pieces) {
                return chunks;
            }
            int next = wordStartAtOrBefore(tokens, end - settings.overlapTokens(), start + 1);
            start = Math.max(next, start + 1);
        }
    }

    /**
     * The largest piece index in [floor, index] whose token starts a word, or {@code index} itself when the window
     * has no word start there (a single enormous word is cut where it must be).
     */
    private static int wordStartAtOrBefore(String[] tokens, int index, int floor) {
        for (int i = index; i >= Math.max(floor, 1); i--) {
            if (!tokens[i + 1].startsWith("##")) {
                return i;
            }
        }
        return index;
    }
}
