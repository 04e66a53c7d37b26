# Mirror of examples/barrier.rs: three runners meet at a Barrier(3).
import asyncio
from rondo_vclock import run, say

async def runner(barrier, i, delay):
    await asyncio.sleep(delay)
    say(f"runner {i} ready")
    index = await barrier.wait()
    say(f"runner {i} go (arrived {index})")

async def main():
    barrier = asyncio.Barrier(3)
    await asyncio.gather(*(runner(barrier, i, d) for i, d in ((1, 0.31), (2, 0.17), (3, 0.53))))

run(main())
