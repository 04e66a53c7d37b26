# Mirror of examples/event.rs: three waiters, one Event.
import asyncio
from rondo_vclock import run, say

async def waiter(event, i):
    say(f"waiter {i} waiting")
    await event.wait()
    say(f"waiter {i} woke")

async def main():
    event = asyncio.Event()
    waiters = [asyncio.create_task(waiter(event, i)) for i in (1, 2, 3)]
    await asyncio.sleep(1)
    say("setting")
    event.set()
    await asyncio.gather(*waiters)
    say("all woke")

run(main())
