# Mirror of examples/countasync.rs (seed 004's countasync.py).
import asyncio
from rondo_vclock import run, say, elapsed_line

async def count():
    say("One")
    await asyncio.sleep(1)
    say("Two")

async def main():
    await asyncio.gather(count(), count(), count())

_, end, _ = run(main())
say(elapsed_line("countasync.rs", end))
