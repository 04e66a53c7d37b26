# Mirror of examples/producer_consumer.rs (issue 11: "distribute tasks via queues").
import asyncio
from rondo_vclock import run, say

async def producer(q, i):
    for k in range(1, 4):
        await asyncio.sleep(0.1 * i + 0.013 * k)
        await q.put(f"P{i}-{k}")
        say(f"P{i} put P{i}-{k}")

async def consumer(q, j):
    while True:
        item = await q.get()
        say(f"C{j} got {item}")
        await asyncio.sleep(0.29 + 0.007 * j)
        q.task_done()

async def main():
    q = asyncio.Queue(maxsize=2)
    consumers = [asyncio.create_task(consumer(q, j)) for j in (1, 2)]
    await asyncio.gather(*(producer(q, i) for i in (1, 2, 3)))
    say("producers done")
    await q.join()
    say("queue drained")
    for c in consumers:
        c.cancel()

run(main())
