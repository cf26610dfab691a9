package dev.bicross.retrieval.corpus;

import java.util.Map;
import java.util.Objects;

/**
 * A document to index: a caller-chosen id, an optional title, the text, and free-form metadata kept with it.
 *
 * @param id       unique id within a corpus (never blank)
 * @param title    title, or the empty string
 * @param text     body text, possibly empty
 * @param metadata string metadata returned with hits (copied, immutable)
 */
public record Document(String id, String title, String text, Map<String, String> metadata) {

    public Document {
        Objects.requireNonNull(id, "document id");
        if (id.isBlank()) {
            throw new IllegalArgumentException("document id is blank");
        }
        title = title == null ? "" : title;
        text = text == null ? "" : text;
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }

    public Document(String id, String title, String text) {
        this(id, title, text, Map.of());
    }

    /** Title and text as the encoders read them: "title text", or whichever one is present. */
    public String fullText() {
        if (title.isEmpty()) {
            return text;
        }
        return text.isEmpty() ? title : title + " " + text;
    }
}
