package dev.bicross.engine.kernel;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkerPoolTest {

    @Test
    void everyTaskRunsExactlyOnceAndTheWorkersHelp() {
        WorkerPool pool = new WorkerPool(3);
        java.util.Set<String> threadsSeen = ConcurrentHashMap.newKeySet();
        for (int call = 0; call < 2_000; call++) {
            int tasks = call % 17; // 0 … 16 tasks: fewer tasks than threads too
            AtomicIntegerArray runs = new AtomicIntegerArray(Math.max(1, tasks));
            pool.run(tasks, i -> {
                runs.incrementAndGet(i);
                threadsSeen.add(Thread.currentThread().getName());
                spin(2_000);
            });
            for (int i = 0; i < tasks; i++) {
                assertEquals(1, runs.get(i), "call " + call + " task " + i);
            }
        }
        assertTrue(threadsSeen.stream().anyMatch(n -> n.startsWith("bicross-kernel-")),
                "the pool's workers never took a task: " + threadsSeen);
    }

    @Test
    void aWorkerThatTookATaskIsKeptOffItsCallersCpu() {
        org.junit.jupiter.api.Assumptions.assumeTrue(CpuAffinity.active(), "CPU affinity not available here");
        long[] allowed = CpuAffinity.allowed();
        WorkerPool pool = new WorkerPool(2);
        java.util.concurrent.atomic.AtomicReference<long[]> workerMask = new java.util.concurrent.atomic.AtomicReference<>();
        for (int call = 0; call < 200 && workerMask.get() == null; call++) {
            pool.run(16, i -> {
                if (Thread.currentThread().getName().startsWith("bicross-kernel-")) {
                    workerMask.compareAndSet(null, CpuAffinity.currentMask());
                }
                spin(20_000);
            });
        }
        long[] mask = workerMask.get();
        assertTrue(mask != null, "the worker never took a task");
        int allowedCount = 0;
        int maskCount = 0;
        for (int w = 0; w < allowed.length; w++) {
            assertEquals(0, mask[w] & ~allowed[w], "the worker may run on CPUs the process may not");
            allowedCount += Long.bitCount(allowed[w]);
            maskCount += Long.bitCount(mask[w]);
        }
        assertEquals(allowedCount - 1, maskCount, "the worker should avoid exactly one CPU, its caller's");
    }

    @Test
    void concurrentCallersEachGetAllTheirTasksRun() throws Exception {
        WorkerPool pool = new WorkerPool(2);
        int callers = 4;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
            Thread t = new Thread(() -> {
                try {
                    start.await();
                    for (int call = 0; call < 500; call++) {
                        AtomicIntegerArray runs = new AtomicIntegerArray(9);
                        pool.run(9, i -> runs.incrementAndGet(i));
                        for (int i = 0; i < 9; i++) {
                            assertEquals(1, runs.get(i));
                        }
                    }
                } catch (Throwable e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            });
            t.start();
            threads.add(t);
        }
        start.countDown();
        for (Thread t : threads) {
            t.join(60_000);
        }
        assertEquals(List.of(), failures);
    }

    @Test
    void aTaskFailureReachesTheCallerAndThePoolKeepsWorking() {
        WorkerPool pool = new WorkerPool(2);
        IllegalStateException boom = new IllegalStateException("boom");
        for (int failing = 0; failing < 8; failing++) {
            int bad = failing;
            var thrown = assertThrows(IllegalStateException.class, () -> pool.run(8, i -> {
                spin(20_000);
                if (i == bad) {
                    throw boom;
                }
            }));
            assertSame(boom, thrown);
            AtomicIntegerArray runs = new AtomicIntegerArray(8);
            pool.run(8, i -> runs.incrementAndGet(i));
            for (int i = 0; i < 8; i++) {
                assertEquals(1, runs.get(i));
            }
        }
    }

    @Test
    void workersEndOnceTheirPoolIsUnreachable() throws Exception {
        long before = kernelThreads();
        List<WorkerPool> pools = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            pools.add(new WorkerPool(3));
            pools.getLast().run(6, task -> { });
        }
        assertTrue(kernelThreads() >= before + 10, "5 pools of 3 threads: 10 workers started");
        pools.clear();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (kernelThreads() > before && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(200);
        }
        assertTrue(kernelThreads() <= before, "workers of unreachable pools still alive: " + kernelThreads()
                + " (before: " + before + ")");
    }

    private static long kernelThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("bicross-kernel-") && t.isAlive()).count();
    }

    private static void spin(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }
}
