# Mirror of examples/current_task.rs (seed 002's four named tasks, current_task and all_tasks).
# One asyncio.run per process, so main is the process's first task: Task-1, as in rondo.
import asyncio
from rondo_vclock import run, say

async def operation(delay, result):
    say("%s Started" % asyncio.current_task().get_name())
    await asyncio.sleep(delay)
    return result

def say_total_tasks():
    names = sorted(task.get_name() for task in asyncio.all_tasks())
    say("Total Tasks (%d) : %s" % (len(names), names))

async def main():
    div_task = asyncio.create_task(operation(5, 10 / 20), name="Division")
    subtract_task = asyncio.create_task(operation(7, 10 - 20), name="Subtraction")
    add_task = asyncio.create_task(operation(3, 10 + 20), name="Addition")
    mul_task = asyncio.create_task(operation(1, 10 * 20), name="Multiplication")
    say_total_tasks()
    await div_task
    await subtract_task
    await add_task
    await mul_task
    say_total_tasks()
    say("Addition Result :  %s" % add_task.result())
    say("Multiplication Result :  %s" % mul_task.result())
    say("Division Result :  %s" % div_task.result())
    say("Subtraction Result :  %s" % subtract_task.result())

_, end, _ = run(main())
say("Total Time Taken : %.2f Seconds" % end)
