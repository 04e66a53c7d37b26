# Mirror of examples/arithmetic.rs (seed 002's four operations).
import asyncio
from rondo_vclock import run, say

async def addition(a, b):
    await asyncio.sleep(3); say("Addition Result :  %s" % (a + b)); return a + b

async def multiplication(a, b):
    await asyncio.sleep(1); say("Multiplication Result :  %s" % (a * b)); return a * b

async def division(a, b):
    await asyncio.sleep(5); say("Division Result :  %s" % (a / b)); return a / b

async def subtraction(a, b):
    await asyncio.sleep(7); say("Subtraction Result :  %s" % (a - b)); return a - b

async def sequential():
    await division(10, 20); await subtraction(10, 20)
    await addition(10, 20); await multiplication(10, 20)

async def as_tasks():
    div_task = asyncio.create_task(division(10, 20))
    subtract_task = asyncio.create_task(subtraction(10, 20), name="Subtraction")
    add_task = asyncio.create_task(addition(10, 20))
    mul_task = asyncio.create_task(multiplication(10, 20))
    await div_task; await subtract_task; await add_task; await mul_task

say("--- awaited one by one")
_, end, _ = run(sequential())
say("Total Time Taken : %.2f Seconds" % end)
say("--- as tasks")
_, end, _ = run(as_tasks())
say("Total Time Taken : %.2f Seconds" % end)
