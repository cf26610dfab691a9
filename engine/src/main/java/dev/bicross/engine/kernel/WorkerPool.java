package dev.bicross.engine.kernel;

import java.lang.ref.WeakReference;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A persistent set of worker threads that run the independent tasks of one kernel call. The calling thread works
 * too, and tasks are handed out one at a time from a shared counter, so a core slowed down by other processes
 * simply takes fewer tasks. Threads are created once (daemon) and reused.
 *
 * <p>A forward pass makes dozens of kernel calls (a 10-token query: ~25 of well under a millisecond each), so
 * the hand-off must cost microseconds: after a call, workers spin for {@value #SPIN_NANOS} ns watching for the
 * next one before they park, and a caller wakes only workers that actually parked (waking a parked thread costs
 * tens of microseconds on a VM). Workers keep off the caller's core where the platform allows it
 * ({@link CpuAffinity}): woken onto it, a worker would halve the caller's speed. Calls from several threads at once are fine: one call at a time gets the workers,
 * the others run their tasks on their own thread. Workers hold the pool weakly and end once it is unreachable.
 */
final class WorkerPool {

    /** How long an idle worker watches for the next call before parking. */
    static final long SPIN_NANOS = 100_000;

    /** How long a parked worker sleeps before it checks whether its pool is still in use. */
    private static final long PARK_NANOS = 1_000_000_000L;

    private final int threads;
    private final Worker[] workers;
    private final Mailbox mailbox = new Mailbox();
    private final AtomicBoolean busy = new AtomicBoolean();

    WorkerPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int w = 0; w < workers.length; w++) {
            workers[w] = new Worker(w, mailbox, new WeakReference<>(this));
            Thread thread = new Thread(workers[w], "bicross-kernel-" + w);
            thread.setDaemon(true);
            workers[w].thread = thread;
            thread.start();
        }
    }

    int threads() {
        return threads;
    }

    /** Runs {@code task.accept(i)} for every i in [0, tasks), in parallel, and returns when all are done. */
    void run(int tasks, IntConsumer task) {
        int helpers = Math.min(threads, tasks) - 1;
        if (helpers <= 0 || !busy.compareAndSet(false, true)) {
            for (int i = 0; i < tasks; i++) {
                task.accept(i);
            }
            return;
        }
        try {
            Job current = new Job(tasks, task, helpers, CpuAffinity.currentCpu());
            mailbox.job = current;
            for (int w = 0; w < helpers; w++) {
                if (workers[w].parked) {
                    LockSupport.unpark(workers[w].thread);
                }
            }
            try {
                current.drain();
            } catch (RuntimeException | Error e) {
                current.next.set(tasks); // helpers take no further task
                current.close();
                throw e;
            }
            current.close();
        } finally {
            busy.set(false);
        }
    }

    /** Where callers publish the current {@link Job}: a new object per call, written once (volatile). */
    private static final class Mailbox {
        volatile Job job;
    }

    /**
     * One call: its tasks, the shared counter, and the helpers inside it. A helper joins only while the job is
     * open; the caller closes it when it runs out of tasks and then waits only for helpers that joined (a helper
     * the OS has not scheduled yet is not waited for).
     */
    private static final class Job {
        private static final int CLOSED = Integer.MIN_VALUE;
        final int tasks;
        final IntConsumer task;
        final int helpers;
        /** The CPU the caller ran on when it published the job (−1: unknown); helpers keep off it. */
        final int callerCpu;
        final AtomicInteger next = new AtomicInteger();
        /** Helpers inside the job, with the sign bit set once the caller has closed it. */
        final AtomicInteger inside = new AtomicInteger();
        volatile Throwable failure;

        Job(int tasks, IntConsumer task, int helpers, int callerCpu) {
            this.tasks = tasks;
            this.task = task;
            this.helpers = helpers;
            this.callerCpu = callerCpu;
        }

        void drain() {
            for (int i = next.getAndIncrement(); i < tasks; i = next.getAndIncrement()) {
                task.accept(i);
            }
        }

        boolean join() {
            for (int v = inside.get(); v >= 0; v = inside.get()) {
                if (inside.compareAndSet(v, v + 1)) {
                    return true;
                }
            }
            return false;
        }

        void leave() {
            inside.decrementAndGet();
        }

        /** Closes the job to late helpers, waits for those inside, then rethrows a helper's failure. */
        void close() {
            for (int v = inside.get(); !inside.compareAndSet(v, v | CLOSED); v = inside.get()) {
                Thread.onSpinWait();
            }
            for (int spins = 0; (inside.get() & ~CLOSED) != 0; spins++) {
                if (spins < 1_000) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield(); // a helper may have been preempted mid-task
                }
            }
            Throwable t = failure;
            if (t instanceof RuntimeException e) {
                throw e;
            }
            if (t instanceof Error e) {
                throw e;
            }
        }
    }

    private static final class Worker implements Runnable {
        final int index;
        final Mailbox mailbox;
        final WeakReference<WorkerPool> owner;
        Thread thread;
        volatile boolean parked;
        /** The CPU this worker's affinity currently excludes (−1: none). */
        private int avoiding = -1;

        Worker(int index, Mailbox mailbox, WeakReference<WorkerPool> owner) {
            this.index = index;
            this.mailbox = mailbox;
            this.owner = owner;
        }

        @Override
        public void run() {
            Job done = null;
            for (Job current = awaitNext(null); current != null; current = awaitNext(done)) {
                if (index < current.helpers && current.join()) {
                    keepOff(current.callerCpu);
                    try {
                        current.drain();
                    } catch (Throwable t) {
                        current.failure = t;
                        current.next.set(current.tasks); // nobody takes a further task; the caller rethrows
                    } finally {
                        current.leave();
                    }
                }
                done = current;
            }
        }

        /** Keeps this worker off the caller's core (see {@link CpuAffinity}); a system call only when it moved. */
        private void keepOff(int callerCpu) {
            if (callerCpu >= 0 && callerCpu != avoiding && CpuAffinity.avoid(callerCpu)) {
                avoiding = callerCpu;
            }
        }

        /**
         * Spins briefly for a job other than {@code done}, then parks until a caller unparks it; null once the
         * pool is unreachable.
         */
        private Job awaitNext(Job done) {
            long start = System.nanoTime();
            while (true) {
                Job current = mailbox.job;
                if (current != done && current != null) {
                    return current;
                }
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                    continue;
                }
                parked = true;
                current = mailbox.job; // re-check after announcing: a caller that saw parked == false published first
                if (current == done || current == null) {
                    LockSupport.parkNanos(this, PARK_NANOS);
                }
                parked = false;
                if (owner.get() == null) {
                    return null;
                }
                start = System.nanoTime();
            }
        }
    }
}
