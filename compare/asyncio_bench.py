#!/usr/bin/env python3
"""The workloads of rondo's docs/design.md ("Performance") on CPython's asyncio,
and on uvloop when it is installed.

One measurement per process, like examples/bench.rs and the compare crate:

    python3 asyncio_bench.py --one <asyncio|uvloop> <workload> <n>

prints the measurement's numbers on one line (the same numbers, in the same
order and units, as `compare --one <runtime> <workload> <n>`), so
`compare/run.sh` can put them in the same table.

    python3 asyncio_bench.py --has uvloop

prints uvloop's version and exits 0 if it can be imported, else exits 1.

Workloads (n is the size; per-unit figures, so a smaller n stays comparable):
  floor       a closure appended to a deque, popped and called: ns per call
  spawn_join  n tasks created, then each awaited: ns per task, bytes per task
  yield       1,000 tasks x n `await asyncio.sleep(0)`: ns per yield
  sleepers    n tasks sleeping 1 s at once: wall s, CPU s, bytes per task
  idle        one task sleeping 2 s: CPU s
  overshoot   n sequential 1 ms sleeps: median and p99 lateness, in us
  pingpong    two tasks, two asyncio.Queue(maxsize=1): ns per round trip
  lock        1,000 tasks x n (acquire asyncio.Lock, sleep(0), release): ns per acquire
"""

import asyncio
import collections
import os
import sys
import time

YIELD_TASKS = 1000
LOCK_TASKS = 1000


def resident_bytes():
    """Resident memory of this process (Linux /proc/self/statm), or 0."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096
    except (OSError, IndexError, ValueError):
        return 0


def cpu_time():
    """CPU seconds used by every thread of this process, read the way the
    Rust side reads it (/proc/self/task/*/schedstat, ns on the CPU)."""
    total = 0
    any_thread = False
    try:
        for tid in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[0])
                    any_thread = True
            except (OSError, IndexError, ValueError):
                pass
    except OSError:
        pass
    if any_thread:
        return total / 1e9
    return time.process_time()


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def percentile(xs, p):
    xs = sorted(xs)
    return xs[round((len(xs) - 1) * p)]


def new_loop(kind):
    if kind == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def floor(n):
    queue = collections.deque()
    total = 0
    start = time.perf_counter_ns()
    for i in range(n):
        queue.append(lambda i=i: i ^ 0x5A)
        f = queue.popleft()
        total += f()
    elapsed = time.perf_counter_ns() - start
    return [elapsed / n]


async def trivial(i):
    return i


def spawn_join(loop, n):
    peak = 0

    async def main():
        nonlocal peak
        tasks = [loop.create_task(trivial(i)) for i in range(n)]
        peak = resident_bytes()
        for t in tasks:
            await t

    before = resident_bytes()
    start = time.perf_counter_ns()
    loop.run_until_complete(main())
    ns = (time.perf_counter_ns() - start) / n
    return [ns, max(peak - before, 0) / n]


async def yielder(k):
    for _ in range(k):
        await asyncio.sleep(0)  # asyncio's yield: one bare `yield` to the loop


def yields(loop, per_task):
    async def main():
        await asyncio.gather(*[yielder(per_task) for _ in range(YIELD_TASKS)])

    start = time.perf_counter_ns()
    loop.run_until_complete(main())
    return [(time.perf_counter_ns() - start) / (YIELD_TASKS * per_task)]


def sleepers(loop, n):
    peak = 0

    async def probe():
        nonlocal peak
        peak = resident_bytes()

    async def main():
        tasks = [loop.create_task(asyncio.sleep(1)) for _ in range(n)]
        # Created last, so it runs after every sleeper took its first step.
        await loop.create_task(probe())
        for t in tasks:
            await t

    before = resident_bytes()
    cpu_before = cpu_time()
    start = time.perf_counter()
    loop.run_until_complete(main())
    wall = time.perf_counter() - start
    cpu = cpu_time() - cpu_before
    return [wall, cpu, max(peak - before, 0) / n]


def idle(loop):
    cpu_before = cpu_time()
    loop.run_until_complete(asyncio.sleep(2))
    return [cpu_time() - cpu_before]


def overshoot(loop, n):
    async def main():
        samples = []
        for _ in range(n):
            started = time.perf_counter()
            await asyncio.sleep(0.001)
            samples.append((time.perf_counter() - started) * 1e6 - 1000.0)
        return samples

    samples = loop.run_until_complete(main())
    return [median(samples), percentile(samples, 0.99)]


def pingpong(loop, n):
    async def pong(inbox, outbox):
        while True:
            v = await inbox.get()
            if v is None:
                return
            await outbox.put(v)

    async def ping(outbox, inbox):
        start = time.perf_counter_ns()
        for i in range(n):
            await outbox.put(i)
            await inbox.get()
        elapsed = time.perf_counter_ns() - start
        await outbox.put(None)  # ends pong's loop
        return elapsed

    async def main():
        to_pong, to_ping = asyncio.Queue(maxsize=1), asyncio.Queue(maxsize=1)
        pong_task = loop.create_task(pong(to_pong, to_ping))
        elapsed = await loop.create_task(ping(to_pong, to_ping))
        await pong_task
        return elapsed

    return [loop.run_until_complete(main()) / n]


def lock(loop, per_task):
    async def contender(lock):
        for _ in range(per_task):
            async with lock:
                await asyncio.sleep(0)  # a yield while holding it

    async def main():
        lock = asyncio.Lock()
        await asyncio.gather(*[contender(lock) for _ in range(LOCK_TASKS)])

    start = time.perf_counter_ns()
    loop.run_until_complete(main())
    return [(time.perf_counter_ns() - start) / (LOCK_TASKS * per_task)]


def to_thread(loop, n):
    """`await asyncio.to_thread(f)` n times in a row: ns per round trip."""
    async def main():
        for i in range(n):
            await asyncio.to_thread(int, i)

    start = time.perf_counter_ns()
    loop.run_until_complete(main())
    return [(time.perf_counter_ns() - start) / n]


def run_one(kind, workload, n):
    if workload == "floor":
        return floor(n)
    loop = new_loop(kind)
    asyncio.set_event_loop(loop)
    try:
        if workload == "spawn_join":
            return spawn_join(loop, n)
        if workload == "yield":
            return yields(loop, n)
        if workload == "sleepers":
            return sleepers(loop, n)
        if workload == "idle":
            return idle(loop)
        if workload == "overshoot":
            return overshoot(loop, n)
        if workload == "pingpong":
            return pingpong(loop, n)
        if workload == "lock":
            return lock(loop, n)
        if workload == "to_thread":
            return to_thread(loop, n)
        raise SystemExit(f"unknown workload {workload}")
    finally:
        loop.close()


def main(argv):
    if len(argv) == 3 and argv[1] == "--has":
        try:
            module = __import__(argv[2])
        except ImportError:
            return 1
        print(getattr(module, "__version__", "unknown version"))
        return 0
    if len(argv) == 5 and argv[1] == "--one":
        numbers = run_one(argv[2], argv[3], int(argv[4]))
        print(" ".join(repr(float(x)) for x in numbers))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
