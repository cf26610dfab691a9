package dev.bicross.engine.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The cache is shared with Python: Python's {@code huggingface_hub} downloads from the fake Hub and bicross reads
 * that cache offline; bicross downloads and Python reads that cache offline. Runs only when
 * {@code -Dbicross.python=/path/to/python} names a Python that has {@code huggingface_hub} (skips otherwise).
 */
class PythonInteropTest {

    private static final String REPO = "acme/interop-bert";
    private static final String FILES = "['config.json', 'model.safetensors', 'tokenizer.json', 'vocab.txt',"
            + " 'tokenizer_config.json', 'special_tokens_map.json', 'modules.json', 'sentence_bert_config.json',"
            + " '1_Pooling/config.json', 'config_sentence_transformers.json']";

    @TempDir
    Path temp;

    private FakeHub hub;
    private Map<String, byte[]> files;
    private String python;

    @BeforeEach
    void setUp() throws Exception {
        python = System.getProperty("bicross.python");
        assumeTrue(python != null && !python.isBlank(),
                "set -Dbicross.python=<python with huggingface_hub> to check the cache against Python");
        assumeTrue(runPython(Map.of(), "import huggingface_hub").exitCode == 0,
                python + " cannot import huggingface_hub");
        hub = new FakeHub();
        files = FakeHub.modelFiles(400_000, 11);
        hub.commit(REPO, "main", files);
    }

    @AfterEach
    void tearDown() {
        if (hub != null) {
            hub.close();
        }
    }

    @Test
    void bicrossReadsACacheWrittenByPython() throws Exception {
        Path cache = temp.resolve("python-cache");
        PythonRun download = runPython(Map.of("HF_ENDPOINT", hub.endpoint().toString(),
                "HF_HUB_CACHE", cache.toString()), String.join("\n",
                "from huggingface_hub import hf_hub_download",
                "from huggingface_hub.errors import EntryNotFoundError",
                "for f in " + FILES + ":",
                "    try:",
                "        hf_hub_download('" + REPO + "', f)",
                "    except EntryNotFoundError:",
                "        pass"));
        assertEquals(0, download.exitCode, download.output);
        int requests = hub.requests().size();

        HubConfig config = new HubConfig(hub.endpoint(), cache, null, false, Duration.ofSeconds(5),
                Duration.ofSeconds(5));
        Path online = new ModelResolver(config).resolve(REPO);
        Path offline = new ModelResolver(config.withOffline(true)).resolve(REPO);

        assertEquals(online, offline);
        assertEquals(requests, hub.requests().size(), "Python's cache (with its .no_exist markers) is complete");
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            assertArrayEquals(file.getValue(), Files.readAllBytes(online.resolve(file.getKey())), file.getKey());
        }
    }

    @Test
    void pythonReadsACacheWrittenByBicross() throws Exception {
        Path cache = temp.resolve("bicross-cache");
        HubConfig config = new HubConfig(hub.endpoint(), cache, null, false, Duration.ofSeconds(5),
                Duration.ofSeconds(5));
        Path folder = new ModelResolver(config).resolve(REPO);

        PythonRun read = runPython(Map.of("HF_HUB_OFFLINE", "1", "HF_HUB_CACHE", cache.toString()), String.join("\n",
                "import hashlib",
                "from huggingface_hub import hf_hub_download, try_to_load_from_cache, scan_cache_dir",
                "from huggingface_hub.file_download import _CACHED_NO_EXIST",
                "p = hf_hub_download('" + REPO + "', 'model.safetensors')",
                "print('path', p)",
                "print('sha256', hashlib.sha256(open(p, 'rb').read()).hexdigest())",
                "print('pooling', open(hf_hub_download('" + REPO + "', '1_Pooling/config.json')).read())",
                "print('absent', try_to_load_from_cache('" + REPO + "', 'tokenizer_config.json') is _CACHED_NO_EXIST)",
                "info = scan_cache_dir()",
                "print('repos', [(r.repo_id, r.nb_files, sorted(r.refs)) for r in info.repos])",
                "print('warnings', len(info.warnings))"));

        assertEquals(0, read.exitCode, read.output);
        List<String> lines = read.output.lines().toList();
        assertTrue(lines.contains("path " + folder.resolve("model.safetensors")), read.output);
        assertTrue(lines.contains("sha256 " + FakeHub.sha256Hex(files.get("model.safetensors"))), read.output);
        assertTrue(lines.contains("pooling " + new String(files.get("1_Pooling/config.json"), StandardCharsets.UTF_8)),
                read.output);
        assertTrue(lines.contains("absent True"), read.output);
        assertTrue(lines.contains("repos [('" + REPO + "', 6, ['main'])]"), read.output);
        assertTrue(lines.contains("warnings 0"), read.output);
    }

    private record PythonRun(int exitCode, String output) { }

    private PythonRun runPython(Map<String, String> env, String script) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(python, "-c", script).redirectErrorStream(true);
        builder.environment().keySet().removeIf(k -> k.startsWith("HF_") || k.startsWith("HUGGING"));
        builder.environment().put("HF_HUB_DISABLE_TELEMETRY", "1");
        builder.environment().put("HF_HOME", temp.resolve("hf-home").toString()); // no token or config of the user
        builder.environment().putAll(env);
        Process process = builder.start();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return new PythonRun(-1, "timed out");
        }
        return new PythonRun(process.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
