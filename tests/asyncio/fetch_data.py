# Mirror of examples/fetch_data.rs (seed 001's fetchData and printNumbers).
import asyncio
from rondo_vclock import run, say, elapsed_line


async def fetchData():
    say("Start fetching")
    await asyncio.sleep(2)
    say("Done fetching")
    return {"data": 1}


async def printNumbers():
    for i in range(10):
        say(i)
        await asyncio.sleep(0.25)


async def main():
    task1 = asyncio.create_task(fetchData())
    task2 = asyncio.create_task(printNumbers())
    value = await task1
    say(value)  # printed as Python prints a dict: {'data': 1}


_, end, cancelled = run(main())
if cancelled:
    say("(%d task still pending was cancelled when main returned: printNumbers stops before 9)" % cancelled)
say(elapsed_line("main", end))
