# Mirror of examples/countsync.rs: three counts as tasks, each with a blocking sleep.
import asyncio
from rondo_vclock import run, say, elapsed_line, blocking_sleep

async def count():
    say("One")
    blocking_sleep(1)  # time.sleep(1): nothing else runs meanwhile
    say("Two")

async def main():
    await asyncio.gather(count(), count(), count())

_, end, _ = run(main())
say(elapsed_line("countsync.rs", end))
