package dev.bicross.cli;

import dev.bicross.engine.hub.DownloadListener;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line download progress display: {@code model.safetensors  45.2 MB / 90.9 MB  50%  12.3 MB/s  ETA 0:04}.
 * On a terminal the line is redrawn in place (at most ten times a second); otherwise one line per finished file.
 * The rate counts only bytes transferred now, not bytes resumed from an earlier attempt.
 */
final class DownloadProgressLine implements DownloadListener {

    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintWriter err;
    private final boolean quiet;
    private final boolean terminal;
    private final LongClock clock;
    private String file;
    private long startNanos;
    private long startBytes;
    private long lastDrawNanos;
    private int lastWidth;

    /** A clock in nanoseconds (a seam for tests). */
    interface LongClock {
        long nanoTime();
    }

    DownloadProgressLine(PrintWriter err, boolean quiet) {
        this(err, quiet, System.console() != null && System.console().isTerminal(), System::nanoTime);
    }

    DownloadProgressLine(PrintWriter err, boolean quiet, boolean terminal, LongClock clock) {
        this.err = err;
        this.quiet = quiet;
        this.terminal = terminal;
        this.clock = clock;
    }

    @Override
    public void onProgress(String name, long bytesDone, long bytesTotal) {
        if (quiet) {
            return;
        }
        long now = clock.nanoTime();
        if (!name.equals(file)) {
            endLine();
            file = name;
            startNanos = now;
            startBytes = bytesDone;
            lastDrawNanos = Long.MIN_VALUE;
        }
        boolean done = bytesTotal >= 0 && bytesDone >= bytesTotal;
        if (terminal && (done || lastDrawNanos == Long.MIN_VALUE || now - lastDrawNanos >= REDRAW_NANOS)) {
            String line = format(name, bytesDone, bytesTotal, now - startNanos, bytesDone - startBytes);
            err.print("\r" + line + " ".repeat(Math.max(0, lastWidth - line.length())));
            err.flush();
            lastWidth = line.length();
            lastDrawNanos = now;
        } else if (!terminal && done) {
            err.println(format(name, bytesDone, bytesTotal, now - startNanos, bytesDone - startBytes));
            err.flush();
        }
    }

    /** Ends the current line (call once the download is over, successfully or not). */
    void finish() {
        endLine();
        file = null;
    }

    private void endLine() {
        if (terminal && lastWidth > 0) {
            err.println();
            err.flush();
        }
        lastWidth = 0;
    }

    /** The progress text for one file; rate and ETA from the bytes moved in {@code elapsedNanos}. */
    static String format(String file, long done, long total, long elapsedNanos, long moved) {
        StringBuilder line = new StringBuilder(file).append("  ").append(bytes(done));
        if (total >= 0) {
            line.append(" / ").append(bytes(total));
            line.append(String.format(Locale.ROOT, "  %3d%%", total == 0 ? 100 : (int) (100 * done / total)));
        }
        double seconds = elapsedNanos / 1e9;
        if (seconds > 0.05 && moved > 0) {
            double rate = moved / seconds;
            line.append("  ").append(bytes((long) rate)).append("/s");
            if (total >= 0 && done < total) {
                line.append("  ETA ").append(duration((long) Math.ceil((total - done) / rate)));
            }
        }
        return line.toString();
    }

    static String bytes(long n) {
        if (n < 1000) {
            return n + " B";
        }
        String[] units = {"kB", "MB", "GB", "TB"};
        double value = n;
        int unit = -1;
        while (value >= 1000 && unit < units.length - 1) {
            value /= 1000;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }

    static String duration(long seconds) {
        if (seconds >= 3600) {
            return String.format(Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
        }
        return String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
    }
}
