package dev.bicross.engine.hub;

import java.io.IOException;

/** A model could not be resolved or downloaded; the message says what, and what to do about it. */
public final class HubException extends IOException {

    /** What went wrong, for callers that react differently (e.g. fall back to the cache when unreachable). */
    public enum Reason {
        /** The model, revision or a required file does not exist (or is hidden from an anonymous caller). */
        NOT_FOUND,
        /** The Hub refused access (gated or private model; token missing or insufficient). */
        ACCESS_DENIED,
        /** The endpoint (or the CDN it redirects to) could not be reached or did not answer in time. */
        UNREACHABLE,
        /** Offline mode is on and the model is not in the cache. */
        NOT_CACHED_OFFLINE,
        /** The body ended before all announced bytes arrived; the partial file is kept for resuming. */
        INCOMPLETE,
        /** The bytes do not match the announced checksum or size; the partial file was discarded. */
        CORRUPT,
        /** The model exists but not in a form bicross reads (e.g. PyTorch pickles only). */
        UNSUPPORTED,
        /** The server answered in a way a Hugging Face Hub would not (missing headers, unexpected status). */
        PROTOCOL
    }

    private final Reason reason;

    HubException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    HubException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** Why the operation failed. */
    public Reason reason() {
        return reason;
    }
}
