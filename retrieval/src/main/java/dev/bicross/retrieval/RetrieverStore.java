package dev.bicross.retrieval;

import dev.bicross.retrieval.corpus.Document;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The documents of a retriever and its passages: passage i is characters [start, end) of document doc's full
 * text, and its vector is stored in the index under id i. Not thread-safe: {@link Retriever} guards it.
 */
final class RetrieverStore {

    private final List<Document> documents = new ArrayList<>();
    private final Map<String, Integer> ordinals = new HashMap<>();
    private final List<String> fullTexts = new ArrayList<>();
    private int[] chunkDoc = new int[1024];
    private int[] chunkStart = new int[1024];
    private int[] chunkEnd = new int[1024];
    private int chunks;

    boolean contains(String id) {
        return ordinals.containsKey(id);
    }

    void addDocument(Document d) {
        ordinals.put(d.id(), documents.size());
        documents.add(d);
        fullTexts.add(d.fullText());
    }

    void addChunk(int document, int start, int end) {
        if (document < 0 || document >= documents.size()) {
            throw new IllegalArgumentException("passage refers to document " + document + " of " + documents.size());
        }
        String text = fullTexts.get(document);
        if (start < 0 || end < start || end > text.length()) {
            throw new IllegalArgumentException("passage [" + start + ", " + end + ") is outside document '"
                    + documents.get(document).id() + "' (" + text.length() + " characters)");
        }
        if (chunks == chunkDoc.length) {
            int n = chunks * 2;
            chunkDoc = Arrays.copyOf(chunkDoc, n);
            chunkStart = Arrays.copyOf(chunkStart, n);
            chunkEnd = Arrays.copyOf(chunkEnd, n);
        }
        chunkDoc[chunks] = document;
        chunkStart[chunks] = start;
        chunkEnd[chunks] = end;
        chunks++;
    }

    int documentCount() {
        return documents.size();
    }

    int chunkCount() {
        return chunks;
    }

    Document document(int ordinal) {
        return documents.get(ordinal);
    }

    int chunkDocument(int chunk) {
        return chunkDoc[chunk];
    }

    int chunkStart(int chunk) {
        return chunkStart[chunk];
    }

    int chunkEnd(int chunk) {
        return chunkEnd[chunk];
    }

    String chunkText(int chunk) {
        return fullTexts.get(chunkDoc[chunk]).substring(chunkStart[chunk], chunkEnd[chunk]);
    }
}
