# Mirror of examples/find_divisibles.rs (seed 000's find_divisibles, as three tasks).
import asyncio
from rondo_vclock import run, say


async def find_divisibles(inrange, div_by):
    say(f"Finding nums in range {inrange} divisible by {div_by}")
    located = []
    for i in range(inrange):
        if i % div_by == 0:
            located.append(i)
        if i % 50000 == 0:
            await asyncio.sleep(0.00001)
    say(f"Done w/ nums in range {inrange} divisible by {div_by}")
    return located


async def main():
    divs1 = asyncio.create_task(find_divisibles(508000, 34113))
    divs2 = asyncio.create_task(find_divisibles(100052, 3210))
    divs3 = asyncio.create_task(find_divisibles(500, 3))
    done, pending = await asyncio.wait([divs1, divs2, divs3])
    assert len(done) == 3 and not pending


_, end, _ = run(main())
say("main exec in %.3f ms (virtual clock)." % (end * 1000))
