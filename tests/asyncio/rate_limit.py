# Mirror of examples/rate_limit.rs: at most three fetches at once.
import asyncio
from rondo_vclock import run, say

async def fetch(sem, i):
    async with sem:
        say(f"start {i}")
        await asyncio.sleep(0.5 + 0.137 * (i % 4))
        say(f"done {i}")

async def main():
    sem = asyncio.Semaphore(3)
    await asyncio.gather(*(fetch(sem, i) for i in range(1, 9)))
    say("all fetched")

run(main())
