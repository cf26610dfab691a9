package dev.bicross.engine.hub;

/**
 * Receives download progress, e.g. to draw a progress bar. Called from the downloading thread: at the start of each
 * file (with the bytes already present from an interrupted download), every few hundred kilobytes, and at its end.
 */
@FunctionalInterface
public interface DownloadListener {

    /** A listener that ignores everything. */
    DownloadListener NONE = (file, bytesDone, bytesTotal) -> { };

    /**
     * @param file       the file's path inside the repository, e.g. {@code model.safetensors}
     * @param bytesDone  bytes of the file on disk so far, including bytes resumed from an earlier attempt
     * @param bytesTotal the file's size, or -1 when the server did not announce it
     */
    void onProgress(String file, long bytesDone, long bytesTotal);
}
