# Mirror of examples/taskgroup.rs: A finishes, B fails, C is cancelled.
import asyncio
from rondo_vclock import run, say

async def a():
    await asyncio.sleep(1)
    say("A done")

async def b():
    await asyncio.sleep(1.5)
    raise ValueError("B failed")

async def c():
    try:
        await asyncio.sleep(3)
        say("C done")
    except asyncio.CancelledError:
        say("C cancelled")
        raise

async def main():
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(a())
            tg.create_task(b())
            tg.create_task(c())
            say("body done")
    except* ValueError as group:
        say("group failed: %s" % "; ".join(str(e) for e in group.exceptions))

run(main())
