package dev.bicross.engine.rerank;

import java.util.Objects;

/** A (query, document) pair for a cross-encoder; encoded as {@code [CLS] query [SEP] document [SEP]}. */
public record TextPair(String query, String document) {

    public TextPair {
        Objects.requireNonNull(query, "query text is null");
        Objects.requireNonNull(document, "document text is null");
    }
}
