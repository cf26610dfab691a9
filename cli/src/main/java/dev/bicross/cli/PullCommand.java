package dev.bicross.cli;

import dev.bicross.engine.hub.HubConfig;
import dev.bicross.engine.hub.ModelResolver;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code bicross pull org/name[@revision]}: fetches a model into the Hugging Face cache and prints its folder. */
@Command(name = "pull",
        mixinStandardHelpOptions = true,
        description = {
                "Download a model from the Hugging Face Hub into the Hugging Face cache and print its folder.",
                "Asks the Hub which commit the revision points to now; files already cached are not downloaded again.",
                "Environment: HF_ENDPOINT, HF_TOKEN (private/gated models), HF_HUB_CACHE or HF_HOME, HF_HUB_OFFLINE."})
final class PullCommand implements Callable<Integer> {

    @Parameters(paramLabel = "<org/name[@revision]>",
            description = "Model id on the Hub, e.g. cross-encoder/ms-marco-MiniLM-L6-v2 (revision: branch, tag or commit).")
    String model;

    @Option(names = "--endpoint", paramLabel = "<url>",
            description = "Hub URL (default: $HF_ENDPOINT, else https://huggingface.co).")
    String endpoint;

    @Option(names = "--cache-dir", paramLabel = "<folder>",
            description = "Hugging Face hub cache folder (default: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub).")
    Path cacheDir;

    @Option(names = {"-q", "--quiet"}, description = "No progress line; print only the folder.")
    boolean quiet;

    @Option(names = {"-v", "--verbose"}, description = "Print stack traces on errors.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        HubConfig config = HubConfig.fromEnvironment();
        if (endpoint != null) {
            config = config.withEndpoint(HubConfig.parseEndpoint(endpoint));
        }
        if (cacheDir != null) {
            config = config.withCacheDir(cacheDir);
        }
        DownloadProgressLine progress = new DownloadProgressLine(spec.commandLine().getErr(), quiet);
        Path folder;
        try {
            folder = new ModelResolver(config).pull(model, progress);
        } finally {
            progress.finish();
        }
        spec.commandLine().getOut().println(folder);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
