"""CPython's asyncio on a virtual clock, printing like rondo's Transcript.

Every mirror in this folder imports this module. It gives asyncio the two
things rondo's virtual loop has, so that both can be compared line by line:

- a virtual clock: when the loop would wait, time jumps straight to the next
  deadline (the selector's `select(timeout)` moves the clock, then polls);
- FIFO ties: timers with equal deadlines fire in the order they were set
  (asyncio leaves them in heap order; rondo makes them FIFO on purpose).

`say(text)` prints "1.000 text" (loop time, three decimals) inside a running
loop and "- text" outside one: the format of `Transcript::stamped()`. With
RONDO_VCLOCK_ITERATIONS=1 in the environment it also prints the loop's
iteration, "1.000 #12 text", as `Transcript::stamped_with_iterations()` does:
the differential test compares those, so that work moved from one iteration
to the next shows even where the order of the lines stays the same.
"""

import asyncio
import heapq
import itertools
import os
import selectors

CLOCK = [0.0]
SEQ = itertools.count()


class VirtualSelector(selectors.DefaultSelector):
    def __init__(self, loop_ref):
        super().__init__()
        self._loop_ref = loop_ref

    def select(self, timeout=None):
        if timeout is None:
            raise RuntimeError("deadlock: nothing is ready and no timer is pending")
        if timeout > 0:
            loop = self._loop_ref[0]
            # Jump exactly to the earliest deadline (not now + timeout, which
            # float arithmetic could leave a hair short of it).
            CLOCK[0] = max(CLOCK[0], loop._scheduled[0]._when)
        return super().select(0)


class FifoTimer(asyncio.TimerHandle):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._seq = next(SEQ)

    def __lt__(self, other):
        return (self._when, self._seq) < (other._when, other._seq)


class VirtualLoop(asyncio.SelectorEventLoop):
    def __init__(self):
        ref = [None]
        super().__init__(VirtualSelector(ref))
        ref[0] = self
        self.iterations = 0

    def _run_once(self):
        self.iterations += 1
        super()._run_once()

    def time(self):
        return CLOCK[0]

    def call_at(self, when, callback, *args, context=None):
        self._check_closed()
        timer = FifoTimer(when, callback, args, self, context)
        heapq.heappush(self._scheduled, timer)
        timer._scheduled = True
        return timer


def now():
    return CLOCK[0]


ITERATIONS = os.environ.get("RONDO_VCLOCK_ITERATIONS") == "1"


def say(text):
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        print("- %s" % (text,))
        return
    if ITERATIONS:
        print("%.3f #%d %s" % (CLOCK[0], loop.iterations, text))
    else:
        print("%.3f %s" % (CLOCK[0], text))


def blocking_sleep(seconds):
    """time.sleep on the virtual clock: time passes, nothing else runs."""
    CLOCK[0] += seconds


def new_loop():
    """A fresh virtual loop with the clock back at zero (one per rondo EventLoop)."""
    CLOCK[0] = 0.0
    return VirtualLoop()


def run(main, loop=None):
    """asyncio.run(main) on a virtual loop: run main, then cancel what is left.

    Returns (main's result, loop time when main finished, how many tasks were
    still pending and got cancelled)."""
    loop = loop or new_loop()
    asyncio.set_event_loop(loop)
    try:
        result = loop.run_until_complete(main)
        end = CLOCK[0]
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        return result, end, len(pending)
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def elapsed_line(what, seconds):
    """The examples' closing line under the virtual clock."""
    return "%s exec in %.2f seconds (virtual clock)." % (what, seconds)
