package dev.bicross.engine.kernel;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * A persistent set of worker threads that run the independent tasks of one kernel call. The calling thread works
 * too, and tasks are handed out one at a time from a shared counter, so a core slowed down by other processes
 * simply takes fewer tasks. Threads are created once (daemon) and reused: no per-call thread creation.
 */
final class WorkerPool {

    private final int threads;
    private final ForkJoinPool pool;

    WorkerPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.pool = threads == 1 ? null : new ForkJoinPool(threads - 1, p -> {
            var thread = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            thread.setName("bicross-kernel-" + thread.getPoolIndex());
            thread.setDaemon(true);
            return thread;
        }, null, false);
    }

    int threads() {
        return threads;
    }

    /** Runs {@code task.accept(i)} for every i in [0, tasks), in parallel, and returns when all are done. */
    void run(int tasks, IntConsumer task) {
        int helpers = Math.min(threads, tasks) - 1;
        if (helpers <= 0) {
            for (int i = 0; i < tasks; i++) {
                task.accept(i);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Runnable drain = () -> {
            for (int i = next.getAndIncrement(); i < tasks; i = next.getAndIncrement()) {
                task.accept(i);
            }
        };
        ForkJoinTask<?>[] submitted = new ForkJoinTask<?>[helpers];
        for (int h = 0; h < helpers; h++) {
            submitted[h] = pool.submit(drain);
        }
        drain.run();
        for (ForkJoinTask<?> helper : submitted) {
            helper.join();
        }
    }
}
