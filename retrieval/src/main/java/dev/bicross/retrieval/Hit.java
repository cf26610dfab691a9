package dev.bicross.retrieval;

import dev.bicross.retrieval.corpus.Document;

/**
 * One search result.
 *
 * @param document          the matching document
 * @param passage           the part of it that matched best (the whole text unless the document was chunked)
 * @param biEncoderScore    cosine of the query and passage vectors (stage 1)
 * @param biEncoderRank     1-based rank among the stage-1 candidates
 * @param crossEncoderScore the re-ranker's score of (query, passage), or NaN when not re-ranked
 */
public record Hit(Document document, String passage, float biEncoderScore, int biEncoderRank,
                  float crossEncoderScore) {

    /** Whether the cross-encoder scored this hit. */
    public boolean reranked() {
        return !Float.isNaN(crossEncoderScore);
    }

    /** The score the hit was ranked by: the cross-encoder's when re-ranked, else the bi-encoder's. */
    public float score() {
        return reranked() ? crossEncoderScore : biEncoderScore;
    }
}
