package dev.bicross.engine.hub;

import java.util.regex.Pattern;

/**
 * A model on the Hub: its repository id ({@code org/name}, or a bare legacy {@code name}) and a revision (a branch,
 * a tag or a 40-hex commit hash; default {@code main}).
 *
 * @param repo     repository id, e.g. {@code cross-encoder/ms-marco-MiniLM-L6-v2}
 * @param revision branch, tag or commit hash
 */
public record ModelId(String repo, String revision) {

    /** The revision used when none is given. */
    public static final String DEFAULT_REVISION = "main";

    private static final Pattern REPO_PART = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}");
    private static final Pattern COMMIT_HASH = Pattern.compile("[0-9a-f]{40}");

    public ModelId {
        validate(repo, revision);
    }

    /**
     * Parses {@code org/name} or {@code org/name@revision}.
     *
     * @throws IllegalArgumentException naming the offending text when it is not a valid Hub model id
     */
    public static ModelId parse(String text) {
        int at = text.indexOf('@');
        String repo = at < 0 ? text : text.substring(0, at);
        String revision = at < 0 ? DEFAULT_REVISION : text.substring(at + 1);
        return new ModelId(repo.strip(), revision.strip());
    }

    /** True when {@code text} is a full commit hash (40 lowercase hex digits), an immutable revision. */
    public static boolean isCommitHash(String text) {
        return text != null && COMMIT_HASH.matcher(text).matches();
    }

    /** True when the revision is a commit hash rather than a branch or tag. */
    public boolean pinned() {
        return isCommitHash(revision);
    }

    /** The folder name in the hub cache, as {@code huggingface_hub} names it: {@code models--org--name}. */
    public String cacheFolderName() {
        return "models--" + repo.replace("/", "--");
    }

    /** {@code org/name}, with {@code @revision} appended unless it is {@code main}. */
    @Override
    public String toString() {
        return revision.equals(DEFAULT_REVISION) ? repo : repo + "@" + revision;
    }

    private static void validate(String repo, String revision) {
        if (repo == null || repo.isEmpty()) {
            throw new IllegalArgumentException("model id is empty (expected org/name[@revision])");
        }
        String[] parts = repo.split("/", -1);
        boolean ok = parts.length <= 2;
        for (String part : parts) {
            ok &= REPO_PART.matcher(part).matches() && !part.contains("--") && !part.contains("..")
                    && !part.endsWith(".") && !part.endsWith("-");
        }
        if (!ok) {
            throw new IllegalArgumentException("'" + repo + "' is not a Hugging Face model id (expected org/name"
                    + "[@revision], e.g. cross-encoder/ms-marco-MiniLM-L6-v2) nor an existing folder");
        }
        if (revision == null || revision.isEmpty() || revision.startsWith("/") || revision.endsWith("/")
                || revision.contains("..") || revision.contains("\\") || revision.contains("//")
                || revision.chars().anyMatch(c -> c < 0x21 || c == 0x7f || c == ':')) {
            throw new IllegalArgumentException("'" + revision + "' is not a valid revision for model '" + repo
                    + "' (expected a branch, a tag or a commit hash)");
        }
    }
}
