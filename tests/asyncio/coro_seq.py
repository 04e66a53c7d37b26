# Mirror of examples/coro_seq.rs (seed 004's coro(seq): one task awaited, two gathered).
import asyncio
from rondo_vclock import run, say, now

async def coro(seq):
    await asyncio.sleep(max(seq))
    return list(reversed(seq))

def clock_time():
    # time.strftime('%X') on the loop's clock: HH:MM:SS since the loop started.
    secs = int(now())
    return "%02d:%02d:%02d" % (secs // 3600, secs // 60 % 60, secs % 60)

async def await_one():
    t = asyncio.create_task(coro([3, 2, 1]))
    await t
    say(f't done: {t.done()}')

async def gather_two():
    t = asyncio.create_task(coro([3, 2, 1]))
    t2 = asyncio.create_task(coro([10, 5, 0]))
    say('Start: ' + clock_time())
    a = await asyncio.gather(t, t2)
    say('End: ' + clock_time())
    say(f'Both done: {all((t.done(), t2.done()))}')
    return a

say("--- one task, awaited")
run(await_one())
say("--- two tasks, gathered")
a, _, _ = run(gather_two())
say(str(a))
