package dev.bicross.engine.hub;

import dev.bicross.engine.hub.HubException.Reason;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Turns a model reference into a local Hugging Face model folder:
 * <ol>
 *   <li>an existing folder is used as it is;</li>
 *   <li>else {@code org/name[@revision]} is looked up in the Hugging Face cache ({@link HubConfig#cacheDir()}),
 *       including folders written by Python's {@code huggingface_hub};</li>
 *   <li>else (unless offline) the model's files are downloaded from the Hub into that cache, in the same layout,
 *       so Python finds them too.</li>
 * </ol>
 * A cached snapshot is used without any network request when every file bicross reads is there or is recorded as
 * absent ({@code .no_exist}). Downloads are verified (sha256 of LFS files, size of the others), land in the cache
 * by atomic renames, and resume after an interruption. The branch ref is written last, so a failed download leaves
 * what {@code refs} and {@code snapshots} show unchanged. Thread-safe; concurrent downloads of one file wait for
 * each other (also across JVMs on one machine, through a file lock).
 */
public final class ModelResolver {

    /** The model's architecture and hyper-parameters; required. */
    public static final String CONFIG = "config.json";
    /** The weights; required (bicross reads safetensors only). */
    public static final String WEIGHTS = "model.safetensors";
    /** Tokenizer files: at least one is required; both are fetched when present. */
    public static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "vocab.txt");
    /** Files fetched when the model has them (tokenizer and sentence-transformers settings). */
    public static final List<String> OPTIONAL_FILES = List.of("tokenizer_config.json", "special_tokens_map.json",
            "modules.json", "sentence_bert_config.json", "1_Pooling/config.json", "config_sentence_transformers.json");

    private static final ConcurrentHashMap<Path, ReentrantLock> BLOB_LOCKS = new ConcurrentHashMap<>();

    private final HubConfig config;
    private final HubCache cache;
    private final HubClient client;

    /** A resolver for the given endpoint, cache folder, token and offline setting. */
    public ModelResolver(HubConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.cache = new HubCache(config.cacheDir());
        this.client = new HubClient(config);
    }

    /** A resolver configured by {@code HF_ENDPOINT}, {@code HF_HUB_CACHE}/{@code HF_HOME}, {@code HF_TOKEN}, {@code HF_HUB_OFFLINE}. */
    public static ModelResolver fromEnvironment() {
        return new ModelResolver(HubConfig.fromEnvironment());
    }

    /** The configuration in use. */
    public HubConfig config() {
        return config;
    }

    /** Same as {@link #resolve(String, DownloadListener)} without progress reports. */
    public Path resolve(String model) throws IOException {
        return resolve(model, DownloadListener.NONE);
    }

    /**
     * Finds or fetches a model.
     *
     * @param model    a local folder, or {@code org/name[@revision]}
     * @param listener told about download progress (only called when something is downloaded)
     * @return the model folder (for a Hub model: {@code <cache>/models--org--name/snapshots/<commit>})
     * @throws HubException             when the model cannot be found, reached, or verified; the message says why
     * @throws IllegalArgumentException when {@code model} is neither a folder nor a valid model id
     */
    public Path resolve(String model, DownloadListener listener) throws IOException {
        return resolve(model, listener, false);
    }

    /**
     * Like {@link #resolve(String, DownloadListener)}, but always asks the Hub which commit the revision points to
     * now, and downloads what that commit adds (files already in the cache are not downloaded again). Fails
     * rather than falling back to the cache when the Hub is unreachable.
     */
    public Path pull(String model, DownloadListener listener) throws IOException {
        return resolve(model, listener, true);
    }

    private Path resolve(String model, DownloadListener listener, boolean refresh) throws IOException {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(listener, "listener");
        Optional<Path> folder = localFolder(model);
        if (folder.isPresent()) {
            return folder.get();
        }
        ModelId id = ModelId.parse(model);
        Optional<String> commit = cache.commitOf(id);
        boolean haveSnapshot = commit.isPresent() && Files.isDirectory(cache.snapshot(id, commit.get()));
        boolean usable = haveSnapshot && missingRequired(id, commit.get()).isEmpty();
        if (config.offline()) {
            if (usable) {
                return cache.snapshot(id, commit.get());
            }
            throw notCachedOffline(id, haveSnapshot ? commit.get() : null);
        }
        if (usable && !refresh && complete(id, commit.get())) {
            return cache.snapshot(id, commit.get());
        }
        try {
            // A known snapshot is completed at its own commit; otherwise (or when pulling) the revision is asked.
            return download(id, haveSnapshot && !refresh ? commit.get() : id.revision(), listener);
        } catch (HubException e) {
            if (e.reason() == Reason.UNREACHABLE && usable && !refresh) {
                return cache.snapshot(id, commit.get()); // offline but cached: what transformers does as well
            }
            throw e;
        }
    }

    private Path download(ModelId id, String revision, DownloadListener listener) throws IOException {
        List<RemoteFile> fetch = new ArrayList<>();
        List<String> absent = new ArrayList<>();

        String commit;
        if (ModelId.isCommitHash(revision) && cache.hasFile(id, revision, CONFIG)) {
            commit = revision;
        } else {
            RemoteFile remoteConfig = client.head(id, revision, CONFIG).orElseThrow(() -> new HubException(
                    Reason.NOT_FOUND, "model '" + id.repo() + "' not found on " + config.endpoint() + " (no "
                    + CONFIG + " at revision '" + revision + "'; check the name, or set HF_TOKEN for a"
                    + " private/gated model)"));
            commit = remoteConfig.commit();
            if (!cache.hasFile(id, commit, CONFIG)) {
                fetch.add(remoteConfig);
            }
        }
        // From here on, ask at the commit: a branch moving meanwhile cannot mix two versions in one snapshot.
        if (!lookUp(id, commit, WEIGHTS, fetch, absent)) {
            throw weightsMissing(id, commit);
        }
        boolean anyTokenizer = false;
        for (String file : TOKENIZER_FILES) {
            anyTokenizer |= lookUp(id, commit, file, fetch, absent);
        }
        if (!anyTokenizer) {
            throw new HubException(Reason.UNSUPPORTED, "model '" + id + "' has neither tokenizer.json nor vocab.txt"
                    + " (commit " + commit + "); bicross needs a WordPiece tokenizer file");
        }
        for (String file : OPTIONAL_FILES) {
            lookUp(id, commit, file, fetch, absent);
        }

        // Blobs first: until every file is verified, no snapshot entry or ref points at anything new.
        for (RemoteFile remote : fetch) {
            fetchBlob(id, remote, listener);
        }
        for (RemoteFile remote : fetch) {
            cache.link(id, commit, remote.file(), remote.etag());
        }
        for (String file : absent) {
            cache.markMissing(id, commit, file);
        }
        cache.writeRef(id, commit);
        return cache.snapshot(id, commit);
    }

    /**
     * Adds a file to {@code fetch} if the snapshot lacks it and the Hub has it, to {@code absent} if the Hub does
     * not have it; asks nothing when the cache already knows.
     *
     * @return whether the model has the file
     */
    private boolean lookUp(ModelId id, String commit, String file, List<RemoteFile> fetch, List<String> absent)
            throws HubException {
        if (cache.hasFile(id, commit, file)) {
            return true;
        }
        if (cache.knownMissing(id, commit, file)) {
            return false;
        }
        Optional<RemoteFile> remote = client.head(id, commit, file);
        if (remote.isPresent()) {
            fetch.add(remote.get());
            return true;
        }
        absent.add(file);
        return false;
    }

    private void fetchBlob(ModelId id, RemoteFile remote, DownloadListener listener) throws IOException {
        Path blob = cache.blob(id, remote.etag());
        if (Files.isRegularFile(blob)) {
            return; // the same content under another name or commit: nothing to download
        }
        Path partial = cache.incompleteBlob(id, remote.etag());
        Files.createDirectories(partial.getParent());
        ReentrantLock threadLock = BLOB_LOCKS.computeIfAbsent(blob, b -> new ReentrantLock());
        threadLock.lock();
        Path lockFile = cache.root().resolve(".locks").resolve(id.cacheFolderName()).resolve(remote.etag() + ".lock");
        Files.createDirectories(lockFile.getParent());
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = channel.lock()) {
            if (!Files.isRegularFile(blob)) { // another thread or process may have finished it while we waited
                client.fetch(id, remote, partial, blob, listener);
            }
        } finally {
            threadLock.unlock();
        }
    }

    private HubException weightsMissing(ModelId id, String commit) throws HubException {
        if (client.head(id, commit, "pytorch_model.bin").isPresent()) {
            return new HubException(Reason.UNSUPPORTED, "model '" + id + "' has pytorch_model.bin only; bicross reads"
                    + " safetensors (pick a revision or a copy of the model that has model.safetensors)");
        }
        if (client.head(id, commit, "model.safetensors.index.json").isPresent()) {
            return new HubException(Reason.UNSUPPORTED, "model '" + id + "' has sharded weights"
                    + " (model.safetensors.index.json); bicross reads a single model.safetensors");
        }
        return new HubException(Reason.NOT_FOUND, "model '" + id + "' has no model.safetensors (commit " + commit
                + "); bicross needs its weights in safetensors");
    }

    private HubException notCachedOffline(ModelId id, String commit) {
        String fix = "; run `bicross pull " + id + "` while online (or unset HF_HUB_OFFLINE), or pass a local model"
                + " folder";
        if (commit == null) {
            return new HubException(Reason.NOT_CACHED_OFFLINE, "model '" + id + "' is not in the Hugging Face cache ("
                    + cache.root() + ") and HF_HUB_OFFLINE=1 forbids downloading it" + fix);
        }
        List<String> missing = missingRequired(id, commit);
        String detail = missing.contains(WEIGHTS) && cache.hasFile(id, commit, "pytorch_model.bin")
                ? " (it has pytorch_model.bin only; bicross reads safetensors)" : "";
        return new HubException(Reason.NOT_CACHED_OFFLINE, "model '" + id + "' in the Hugging Face cache ("
                + cache.snapshot(id, commit) + ") lacks " + String.join(", ", missing) + detail
                + ", and HF_HUB_OFFLINE=1 forbids downloading" + fix);
    }

    private List<String> missingRequired(ModelId id, String commit) {
        List<String> missing = new ArrayList<>();
        for (String file : List.of(CONFIG, WEIGHTS)) {
            if (!cache.hasFile(id, commit, file)) {
                missing.add(file);
            }
        }
        if (TOKENIZER_FILES.stream().noneMatch(file -> cache.hasFile(id, commit, file))) {
            missing.add(String.join(" or ", TOKENIZER_FILES));
        }
        return missing;
    }

    /** Every file bicross reads is in the snapshot or known not to exist: no reason to ask the Hub. */
    private boolean complete(ModelId id, String commit) {
        for (List<String> files : List.of(TOKENIZER_FILES, OPTIONAL_FILES)) {
            for (String file : files) {
                if (!cache.hasFile(id, commit, file) && !cache.knownMissing(id, commit, file)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** An existing folder; a path-like reference to a missing folder is an error rather than a Hub lookup. */
    private static Optional<Path> localFolder(String model) throws HubException {
        Path path;
        try {
            path = Path.of(model);
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
        if (Files.isDirectory(path)) {
            return Optional.of(path.toAbsolutePath().normalize());
        }
        String beforeRevision = model.contains("@") ? model.substring(0, model.indexOf('@')) : model;
        boolean looksLikePath = model.startsWith("/") || model.startsWith(".") || model.startsWith("~")
                || model.contains("\\") || beforeRevision.chars().filter(c -> c == '/').count() > 1;
        if (looksLikePath) {
            throw new HubException(Reason.NOT_FOUND, "model folder '" + model + "' does not exist");
        }
        return Optional.empty();
    }
}
