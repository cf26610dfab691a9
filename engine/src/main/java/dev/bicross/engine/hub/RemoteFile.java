package dev.bicross.engine.hub;

import java.net.URI;
import java.util.regex.Pattern;

/**
 * What a HEAD request on {@code /{repo}/resolve/{revision}/{file}} tells about one file.
 *
 * @param file     path inside the repository
 * @param commit   the commit the revision points to ({@code X-Repo-Commit})
 * @param etag     the file's identity: the sha256 of an LFS file ({@code X-Linked-Etag}) or the git blob sha1
 *                 ({@code ETag}), without quotes; it names the blob in the cache
 * @param size     the file's size in bytes ({@code X-Linked-Size}, else {@code Content-Length}), or -1 if unknown
 * @param location where to GET the bytes: the CDN URL of a redirected LFS file, else the resolve URL itself
 */
record RemoteFile(String file, String commit, String etag, long size, URI location) {

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    /** LFS files are identified by the sha256 of their content, which the download is checked against. */
    boolean checksummed() {
        return SHA256.matcher(etag).matches();
    }
}
