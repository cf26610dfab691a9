package dev.bicross.engine.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.UUID;

/**
 * The Hugging Face hub cache on disk, in the layout Python's {@code huggingface_hub} reads and writes:
 * <pre>
 * models--org--name/
 *   blobs/&lt;etag&gt;                         file contents, named by sha256 (LFS) or git blob sha1
 *   refs/&lt;revision&gt;                      the commit hash a branch or tag pointed to (no newline)
 *   snapshots/&lt;commit&gt;/&lt;file&gt;          relative symlinks into ../../blobs (copies where symlinks fail)
 *   .no_exist/&lt;commit&gt;/&lt;file&gt;          empty markers: the file does not exist at that commit
 * </pre>
 * Every write is atomic (temp file or link, then rename), so readers never see half a file or a half-written ref.
 */
final class HubCache {

    private final Path root;

    HubCache(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    Path root() {
        return root;
    }

    Path repoFolder(ModelId id) {
        return root.resolve(id.cacheFolderName());
    }

    /** The commit a revision resolves to locally: the revision itself if it is a hash, else the content of its ref. */
    Optional<String> commitOf(ModelId id) throws IOException {
        if (id.pinned()) {
            return Optional.of(id.revision());
        }
        Path ref = repoFolder(id).resolve("refs").resolve(id.revision());
        if (!Files.isRegularFile(ref)) {
            return Optional.empty();
        }
        String commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
        if (!ModelId.isCommitHash(commit)) {
            throw new HubException(HubException.Reason.PROTOCOL,
                    ref + ": holds '" + commit + "', not a commit hash (delete the file to re-download)");
        }
        return Optional.of(commit);
    }

    Path snapshot(ModelId id, String commit) {
        return repoFolder(id).resolve("snapshots").resolve(commit);
    }

    /** The file inside a snapshot, if present and readable (a dangling link into a deleted blob does not count). */
    boolean hasFile(ModelId id, String commit, String file) {
        return Files.isRegularFile(snapshot(id, commit).resolve(file));
    }

    /** True when an earlier lookup recorded that the file does not exist at this commit. */
    boolean knownMissing(ModelId id, String commit, String file) {
        return Files.exists(noExistMarker(id, commit, file), LinkOption.NOFOLLOW_LINKS);
    }

    void markMissing(ModelId id, String commit, String file) throws IOException {
        Path marker = noExistMarker(id, commit, file);
        Files.createDirectories(marker.getParent());
        if (!Files.exists(marker, LinkOption.NOFOLLOW_LINKS)) {
            writeAtomically(marker, "");
        }
    }

    Path blob(ModelId id, String etag) {
        return repoFolder(id).resolve("blobs").resolve(etag);
    }

    /** The partial download of a blob, kept between attempts so the next one resumes. */
    Path incompleteBlob(ModelId id, String etag) {
        return repoFolder(id).resolve("blobs").resolve(etag + ".incomplete");
    }

    /**
     * Points {@code snapshots/<commit>/<file>} at {@code blobs/<etag>} with a relative symlink, as Python does, or
     * a copy where the file system refuses symlinks.
     */
    void link(ModelId id, String commit, String file, String etag) throws IOException {
        Path blob = blob(id, etag);
        Path pointer = snapshot(id, commit).resolve(file);
        Files.createDirectories(pointer.getParent());
        Path temp = pointer.resolveSibling("." + pointer.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            try {
                Files.createSymbolicLink(temp, pointer.getParent().relativize(blob));
            } catch (UnsupportedOperationException | FileSystemException e) {
                Files.copy(blob, temp, StandardCopyOption.REPLACE_EXISTING);
            }
            move(temp, pointer);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Records which commit a branch or tag points to (nothing to record for a commit hash). */
    void writeRef(ModelId id, String commit) throws IOException {
        if (id.pinned()) {
            return;
        }
        Path ref = repoFolder(id).resolve("refs").resolve(id.revision());
        Files.createDirectories(ref.getParent());
        writeAtomically(ref, commit);
    }

    private Path noExistMarker(ModelId id, String commit, String file) {
        return repoFolder(id).resolve(".no_exist").resolve(commit).resolve(file);
    }

    private static void writeAtomically(Path target, String content) throws IOException {
        Path temp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            Files.writeString(temp, content, StandardCharsets.UTF_8);
            move(temp, target);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Renames atomically where the file system can, so a reader sees the old or the new entry, never a partial one. */
    static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
