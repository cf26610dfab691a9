package dev.bicross.cli;

import dev.bicross.retrieval.Progress;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress bar on stderr for counted work: {@code indexing [=========>      ] 61%  7012/11429 docs  212.4 docs/s
 * ETA 0:21}. Redrawn in place on a terminal (at most five times a second); elsewhere (logs, CI) one line per tenth.
 */
final class ProgressBar implements Progress {

    private static final int WIDTH = 24;
    private static final long REDRAW_NANOS = 200_000_000L;

    private final String label;
    private final PrintStream err;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private long lastDraw = Long.MIN_VALUE;
    private long lastTenth = -1;

    ProgressBar(String label) {
        this(label, System.err, System.console() != null && System.console().isTerminal());
    }

    ProgressBar(String label, PrintStream err, boolean terminal) {
        this.label = label;
        this.err = err;
        this.terminal = terminal;
    }

    @Override
    public void update(long done, long total, String unit) {
        long now = System.nanoTime();
        boolean finished = done >= total;
        if (terminal) {
            if (finished || lastDraw == Long.MIN_VALUE || now - lastDraw >= REDRAW_NANOS) {
                err.print("\r" + line(done, total, unit, now) + (finished ? "\n" : ""));
                err.flush();
                lastDraw = now;
            }
        } else {
            long tenth = total == 0 ? 10 : done * 10 / total;
            if (tenth != lastTenth && (tenth > lastTenth)) {
                err.println(line(done, total, unit, now));
                lastTenth = tenth;
            }
        }
    }

    String line(long done, long total, String unit, long now) {
        double seconds = Math.max(1e-9, (now - start) / 1e9);
        double rate = done / seconds;
        double fraction = total == 0 ? 1 : (double) done / total;
        int filled = (int) Math.round(fraction * WIDTH);
        String bar = "=".repeat(Math.max(0, filled - 1)) + (filled > 0 ? (done >= total ? "=" : ">") : "")
                + " ".repeat(WIDTH - filled);
        String eta = done >= total ? "done in " + clock(seconds)
                : rate > 0 ? "ETA " + clock((total - done) / rate) : "ETA --:--";
        return String.format(Locale.ROOT, "%s [%s] %3d%%  %d/%d %s  %.1f %s/s  %s", label, bar,
                (int) (fraction * 100), done, total, unit, rate, unit, eta);
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
