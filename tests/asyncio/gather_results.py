# Mirror of examples/gather_results.rs (seed 002's four operations, gathered).
import asyncio
from rondo_vclock import run, say


async def addition(a, b):
    await asyncio.sleep(3)
    return "Addition", a + b


async def multiplication(a, b):
    await asyncio.sleep(1)
    return "Multiplication", a * b


async def division(a, b):
    await asyncio.sleep(5)
    return "Division", a / b


async def subtraction(a, b):
    await asyncio.sleep(7)
    return "Subtraction", a - b


async def main():
    corrs_result = await asyncio.gather(division(10, 20), subtraction(10, 20),
                                        addition(10, 20), multiplication(10, 20))
    for task, result in corrs_result:
        say("{} : {}".format(task, result))


_, end, _ = run(main())
say("Total Time Taken : %.2f Seconds" % end)
