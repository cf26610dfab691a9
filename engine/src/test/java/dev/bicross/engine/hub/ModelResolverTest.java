package dev.bicross.engine.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Resolution and download against a loopback imitation of the Hub ({@link FakeHub}); no other network. */
class ModelResolverTest {

    private static final String REPO = "acme/mini-bert";
    private static final int WEIGHT_BYTES = 700_000; // several progress steps and read buffers

    @TempDir
    Path temp;

    private FakeHub hub;
    private Path cacheDir;
    private Map<String, byte[]> files;
    private String commit;

    @BeforeEach
    void startHub() throws IOException {
        hub = new FakeHub();
        cacheDir = temp.resolve("hf-cache");
        files = FakeHub.modelFiles(WEIGHT_BYTES, 42);
        commit = hub.commit(REPO, "main", files);
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    private HubConfig config() {
        return new HubConfig(hub.endpoint(), cacheDir, null, false, Duration.ofSeconds(5), Duration.ofSeconds(5));
    }

    private ModelResolver resolver() {
        return new ModelResolver(config());
    }

    private Path repoFolder() {
        return cacheDir.resolve("models--acme--mini-bert");
    }

    @Test
    void downloadsIntoTheLayoutPythonUses() throws IOException {
        List<long[]> progress = new ArrayList<>();
        Path folder = resolver().resolve(REPO, (file, done, total) -> {
            if (file.equals("model.safetensors")) {
                progress.add(new long[] {done, total});
            }
        });

        assertEquals(repoFolder().resolve("snapshots").resolve(commit), folder);
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            assertArrayEquals(file.getValue(), Files.readAllBytes(folder.resolve(file.getKey())), file.getKey());
        }
        // Snapshot entries are relative symlinks into blobs/<etag>: sha256 for LFS files, git blob sha1 otherwise.
        byte[] weights = files.get("model.safetensors");
        assertEquals(Path.of("../../blobs/" + FakeHub.sha256Hex(weights)),
                Files.readSymbolicLink(folder.resolve("model.safetensors")));
        assertEquals(Path.of("../../blobs/" + FakeHub.gitBlobSha1(files.get("config.json"))),
                Files.readSymbolicLink(folder.resolve("config.json")));
        assertEquals(Path.of("../../../blobs/" + FakeHub.gitBlobSha1(files.get("1_Pooling/config.json"))),
                Files.readSymbolicLink(folder.resolve("1_Pooling/config.json")));
        assertEquals(commit, Files.readString(repoFolder().resolve("refs/main"))); // no trailing newline
        // Files the model lacks are recorded where Python records them.
        for (String absent : List.of("tokenizer_config.json", "special_tokens_map.json", "sentence_bert_config.json",
                "config_sentence_transformers.json")) {
            Path marker = repoFolder().resolve(".no_exist").resolve(commit).resolve(absent);
            assertTrue(Files.isRegularFile(marker), marker.toString());
            assertEquals(0, Files.size(marker));
        }
        try (Stream<Path> blobs = Files.list(repoFolder().resolve("blobs"))) {
            assertEquals(6, blobs.filter(p -> !p.toString().endsWith(".incomplete")).count());
        }
        assertFalse(Files.exists(repoFolder().resolve("blobs").resolve(FakeHub.sha256Hex(weights) + ".incomplete")));

        // The weights came from the CDN, not the Hub; progress reached the full size.
        assertEquals(1, hub.requests("cdn", "GET").size());
        assertEquals(List.of(), hub.requests("cdn", "HEAD"), "metadata comes from the Hub's own 302");
        assertTrue(hub.requests("hub", "GET").stream().noneMatch(r -> r.path().endsWith("model.safetensors")));
        assertEquals(WEIGHT_BYTES, progress.getLast()[0]);
        assertEquals(WEIGHT_BYTES, progress.getLast()[1]);
        assertTrue(progress.size() >= 3, "progress reported along the way, got " + progress.size());
    }

    @Test
    void secondResolveUsesTheCacheWithoutNetwork() throws IOException {
        Path first = resolver().resolve(REPO);
        int requests = hub.requests().size();

        assertEquals(first, resolver().resolve(REPO));
        assertEquals(first, resolver().resolve(REPO + "@" + commit));
        assertEquals(requests, hub.requests().size(), "no request for a complete cached snapshot");
    }

    @Test
    void readsACacheWrittenByPythonWithoutNetwork() throws IOException {
        // The layout huggingface_hub documents: blobs named by etag, refs/main without newline, relative symlinks.
        String pythonCommit = "0123456789abcdef0123456789abcdef01234567";
        Path repo = cacheDir.resolve("models--sentence-transformers--all-MiniLM-L6-v2");
        Map<String, byte[]> content = FakeHub.modelFiles(1000, 7);
        content.put("sentence_bert_config.json", "{\"max_seq_length\":256}".getBytes(StandardCharsets.UTF_8));
        content.put("tokenizer_config.json", "{}".getBytes(StandardCharsets.UTF_8));
        content.put("special_tokens_map.json", "{}".getBytes(StandardCharsets.UTF_8));
        for (Map.Entry<String, byte[]> file : content.entrySet()) {
            String etag = FakeHub.isLfs(file.getKey()) ? FakeHub.sha256Hex(file.getValue())
                    : FakeHub.gitBlobSha1(file.getValue());
            Path blob = repo.resolve("blobs").resolve(etag);
            Files.createDirectories(blob.getParent());
            Files.write(blob, file.getValue());
            Path pointer = repo.resolve("snapshots").resolve(pythonCommit).resolve(file.getKey());
            Files.createDirectories(pointer.getParent());
            Files.createSymbolicLink(pointer, pointer.getParent().relativize(blob));
        }
        Files.createDirectories(repo.resolve(".no_exist").resolve(pythonCommit));
        Files.createFile(repo.resolve(".no_exist").resolve(pythonCommit).resolve("config_sentence_transformers.json"));
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), pythonCommit);

        Path folder = resolver().resolve("sentence-transformers/all-MiniLM-L6-v2");

        assertEquals(repo.resolve("snapshots").resolve(pythonCommit), folder);
        assertArrayEquals(content.get("model.safetensors"), Files.readAllBytes(folder.resolve("model.safetensors")));
        assertEquals(List.of(), hub.requests(), "a complete Python cache needs no request");
        // Offline, and pinned to the commit, it resolves the same.
        assertEquals(folder, new ModelResolver(config().withOffline(true))
                .resolve("sentence-transformers/all-MiniLM-L6-v2@" + pythonCommit));
    }

    @Test
    void incompletePythonSnapshotIsCompletedAtItsCommit() throws IOException {
        Path folder = resolver().resolve(REPO);
        // Python downloaded only some files: no .no_exist markers, and modules.json missing.
        deleteRecursively(repoFolder().resolve(".no_exist"));
        Files.delete(folder.resolve("modules.json"));
        String newer = hub.commit(REPO, "main", FakeHub.modelFiles(1000, 8)); // main moved on meanwhile
        int before = hub.requests().size();

        assertEquals(folder, resolver().resolve(REPO));

        assertTrue(Files.isRegularFile(folder.resolve("modules.json")));
        List<FakeHub.Request> asked = hub.requests().subList(before, hub.requests().size());
        assertTrue(asked.stream().allMatch(r -> r.path().contains("/resolve/" + commit + "/")),
                "asked at the snapshot's commit, not at moved main " + newer + ": " + FakeHub.paths(asked));
        assertEquals(commit, Files.readString(repoFolder().resolve("refs/main")));
    }

    @Test
    void pullFollowsTheBranchAndReusesUnchangedBlobs() throws IOException {
        resolver().resolve(REPO);
        Map<String, byte[]> changed = new HashMap<>(files);
        changed.put("config.json", "{\"model_type\":\"bert\",\"hidden_size\":64}".getBytes(StandardCharsets.UTF_8));
        String newer = hub.commit(REPO, "main", changed);
        int cdnBefore = hub.requests("cdn", "GET").size();

        Path folder = resolver().pull(REPO, DownloadListener.NONE);

        assertEquals(repoFolder().resolve("snapshots").resolve(newer), folder);
        assertEquals(newer, Files.readString(repoFolder().resolve("refs/main")));
        assertArrayEquals(changed.get("config.json"), Files.readAllBytes(folder.resolve("config.json")));
        assertEquals(cdnBefore, hub.requests("cdn", "GET").size(), "unchanged weights are not downloaded again");
        assertTrue(Files.isRegularFile(repoFolder().resolve("snapshots").resolve(commit).resolve("config.json")),
                "the old snapshot stays readable");
    }

    @Test
    void tagRevisionGetsItsOwnRef() throws IOException {
        hub.tag(REPO, "v1.0", commit);
        hub.commit(REPO, "main", FakeHub.modelFiles(1000, 9));

        Path folder = resolver().resolve(REPO + "@v1.0");

        assertEquals(repoFolder().resolve("snapshots").resolve(commit), folder);
        assertEquals(commit, Files.readString(repoFolder().resolve("refs/v1.0")));
        assertFalse(Files.exists(repoFolder().resolve("refs/main")));
    }

    @Test
    void followsTheRelativeRedirectOfARenamedRepository() throws IOException {
        hub.rename("acme/old-name", REPO);

        Path folder = resolver().resolve("acme/old-name");

        assertEquals(cacheDir.resolve("models--acme--old-name/snapshots").resolve(commit), folder);
        assertArrayEquals(files.get("config.json"), Files.readAllBytes(folder.resolve("config.json")));
    }

    @Test
    void unknownModelSaysSoPlainly() {
        HubException e = assertThrows(HubException.class, () -> resolver().resolve("nobody/nothing"));
        assertEquals(HubException.Reason.NOT_FOUND, e.reason());
        assertEquals("model 'nobody/nothing' not found on " + hub.endpoint()
                + " (check the name, or set HF_TOKEN for a private/gated model)", e.getMessage());
        assertFalse(Files.exists(cacheDir.resolve("models--nobody--nothing/refs")));
    }

    @Test
    void unknownRevisionIsNamed() {
        HubException e = assertThrows(HubException.class, () -> resolver().resolve(REPO + "@no-such-branch"));
        assertEquals(HubException.Reason.NOT_FOUND, e.reason());
        assertTrue(e.getMessage().contains("revision 'no-such-branch'"), e.getMessage());
    }

    @Test
    void gatedModelNeedsTheTokenAndTheTokenStaysOnTheHub() throws IOException {
        hub.gate(REPO, "hf_secret");

        HubException e = assertThrows(HubException.class, () -> resolver().resolve(REPO));
        assertEquals(HubException.Reason.ACCESS_DENIED, e.reason());
        assertTrue(e.getMessage().contains("HF_TOKEN"), e.getMessage());
        assertTrue(e.getMessage().contains("401"), e.getMessage());

        HubException wrong = assertThrows(HubException.class,
                () -> new ModelResolver(config().withToken("hf_wrong")).resolve(REPO));
        assertTrue(wrong.getMessage().contains("HF_TOKEN was sent but does not grant access"), wrong.getMessage());
        assertFalse(wrong.getMessage().contains("hf_wrong"), "never print the token");

        Path folder = new ModelResolver(config().withToken("hf_secret")).resolve(REPO);

        assertArrayEquals(files.get("model.safetensors"), Files.readAllBytes(folder.resolve("model.safetensors")));
        assertTrue(hub.requests("hub", "HEAD").stream().anyMatch(r -> "Bearer hf_secret".equals(r.authorization())));
        for (FakeHub.Request cdnRequest : hub.requests().stream().filter(r -> r.server().equals("cdn")).toList()) {
            assertNull(cdnRequest.authorization(), "token leaked to the CDN: " + cdnRequest);
        }
    }

    @Test
    void truncatedDownloadLeavesTheCacheAsItWasAndResumes() throws IOException {
        byte[] weights = files.get("model.safetensors");
        hub.truncateNextDownload(weights, 300_000);

        HubException e = assertThrows(HubException.class, () -> resolver().resolve(REPO));

        assertEquals(HubException.Reason.INCOMPLETE, e.reason());
        assertTrue(e.getMessage().contains("stopped at 300000 of " + WEIGHT_BYTES + " bytes"), e.getMessage());
        assertFalse(e.getMessage().contains("no data for"), "the connection closed, no timeout: " + e.getMessage());
        assertFalse(Files.exists(repoFolder().resolve("refs")), "no ref before every file is verified");
        assertFalse(Files.exists(repoFolder().resolve("snapshots")), "no snapshot before every file is verified");
        assertFalse(Files.exists(repoFolder().resolve("blobs").resolve(FakeHub.sha256Hex(weights))));
        Path partial = repoFolder().resolve("blobs").resolve(FakeHub.sha256Hex(weights) + ".incomplete");
        assertEquals(300_000, Files.size(partial));

        Path folder = resolver().resolve(REPO);

        assertArrayEquals(weights, Files.readAllBytes(folder.resolve("model.safetensors")));
        assertFalse(Files.exists(partial));
        List<FakeHub.Request> gets = hub.requests("cdn", "GET");
        assertEquals(2, gets.size());
        assertNull(gets.get(0).range());
        assertEquals("bytes=300000-", gets.get(1).range(), "the second attempt resumes");
    }

    @Test
    void corruptDownloadIsRejectedAndLeavesNoTrace() throws IOException {
        byte[] weights = files.get("model.safetensors");
        hub.corruptNextDownload(weights);

        HubException e = assertThrows(HubException.class, () -> resolver().resolve(REPO));

        assertEquals(HubException.Reason.CORRUPT, e.reason());
        assertTrue(e.getMessage().contains("sha256"), e.getMessage());
        assertTrue(e.getMessage().contains(FakeHub.sha256Hex(weights)), e.getMessage());
        assertFalse(Files.exists(repoFolder().resolve("refs")));
        assertFalse(Files.exists(repoFolder().resolve("snapshots")));
        assertFalse(Files.exists(repoFolder().resolve("blobs").resolve(FakeHub.sha256Hex(weights))));
        assertFalse(Files.exists(repoFolder().resolve("blobs").resolve(FakeHub.sha256Hex(weights) + ".incomplete")));

        Path folder = resolver().resolve(REPO);
        assertArrayEquals(weights, Files.readAllBytes(folder.resolve("model.safetensors")));
    }

    @Test
    void offlineModeUsesOnlyTheCache() throws IOException {
        ModelResolver offline = new ModelResolver(config().withOffline(true));

        HubException e = assertThrows(HubException.class, () -> offline.resolve(REPO));
        assertEquals(HubException.Reason.NOT_CACHED_OFFLINE, e.reason());
        assertTrue(e.getMessage().contains("HF_HUB_OFFLINE=1"), e.getMessage());
        assertTrue(e.getMessage().contains("bicross pull " + REPO), e.getMessage());
        assertEquals(List.of(), hub.requests());

        Path folder = resolver().resolve(REPO);
        int requests = hub.requests().size();
        assertEquals(folder, offline.resolve(REPO));
        assertEquals(requests, hub.requests().size());
    }

    @Test
    void unreachableHubSaysOfflineAndFallsBackToTheCache() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        HubConfig unreachable = config().withEndpoint(URI.create("http://127.0.0.1:" + closedPort));

        HubException e = assertThrows(HubException.class, () -> new ModelResolver(unreachable).resolve(REPO));
        assertEquals(HubException.Reason.UNREACHABLE, e.reason());
        assertTrue(e.getMessage().contains("offline"), e.getMessage());
        assertTrue(e.getMessage().contains("HF_HUB_OFFLINE=1"), e.getMessage());
        assertTrue(e.getMessage().contains("local model folder"), e.getMessage());

        // A usable snapshot missing an optional file would ask the Hub; unreachable, it is used as it is.
        Path folder = resolver().resolve(REPO);
        Files.delete(repoFolder().resolve(".no_exist").resolve(commit).resolve("tokenizer_config.json"));
        assertEquals(folder, new ModelResolver(unreachable).resolve(REPO));
    }

    @Test
    void pytorchOnlyModelIsRefusedWithTheReason() {
        Map<String, byte[]> pickled = new HashMap<>(files);
        pickled.put("pytorch_model.bin", pickled.remove("model.safetensors"));
        hub.commit("acme/old-bert", "main", pickled);

        HubException e = assertThrows(HubException.class, () -> resolver().resolve("acme/old-bert"));

        assertEquals(HubException.Reason.UNSUPPORTED, e.reason());
        assertTrue(e.getMessage().contains("pytorch_model.bin only; bicross reads safetensors"), e.getMessage());
        assertFalse(Files.exists(cacheDir.resolve("models--acme--old-bert/refs")));
    }

    @Test
    void localFolderIsUsedAsItIs() throws IOException {
        Path local = Files.createDirectories(temp.resolve("my-model"));
        Files.writeString(local.resolve("config.json"), "{}");

        assertEquals(local.toAbsolutePath().normalize(), resolver().resolve(local.toString()));
        HubException e = assertThrows(HubException.class,
                () -> resolver().resolve(temp.resolve("missing-model").toString()));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        assertEquals(List.of(), hub.requests());
    }

    @Test
    void stalledTransferTimesOutInsteadOfHanging() throws IOException {
        // A server that accepts and never answers: the read timeout must end the wait.
        try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            HubConfig stalled = config().withEndpoint(URI.create("http://127.0.0.1:" + silent.getLocalPort()))
                    .withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(300));
            HubException e = assertThrows(HubException.class, () -> new ModelResolver(stalled).resolve(REPO));
            assertEquals(HubException.Reason.UNREACHABLE, e.reason());
            assertTrue(e.getMessage().contains("no answer within"), e.getMessage());
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @SuppressWarnings("unused")
    private static boolean isLink(Path p) {
        return Files.isSymbolicLink(p) && !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS);
    }
}
