# Mirror of examples/restaurant.rs (seed 001's three restaurant scenarios).
import asyncio
from rondo_vclock import run, say, elapsed_line, new_loop, CLOCK

NAN = "Nan with paneer butter masala"


async def order_and_wait(text):
    say("You ordered %s" % text)  # print("You ordered", text)
    await asyncio.sleep(5)


async def order_served(served):
    await asyncio.sleep(5)
    say(served)


async def await_order():
    say("Waiter came...")
    await order_and_wait("Biryani")
    say("Biryani came to the table")


async def await_task():
    say("you placed another order immediately and waiting")
    task = asyncio.create_task(order_served("Your order %s" % NAN))
    say("you started eating biryani")
    await task
    say("your Biryani is finished")


async def forget_task():
    say("you placed another order and ordered waiter to bring after the biryani finished")
    task = asyncio.create_task(order_served("Your order %s ready to serve" % NAN))
    say("you are eating biryani")
    say("your Biryani is finished")


for title, restaurant in [
    ("1. await order('Biryani')", await_order),
    ("2. create_task(order(...)), then await the task", await_task),
    ("3. create_task(order(...)), never awaited, under asyncio.run", forget_task),
]:
    say("--- " + title)
    _, end, cancelled = run(restaurant())
    if cancelled:
        say("(%d pending order cancelled when restaurant() returned: never served)" % cancelled)
    say(elapsed_line("restaurant", end))

say("--- 3b. the same, as in the notebook: the loop keeps running after restaurant() returns")
loop = new_loop()
asyncio.set_event_loop(loop)
loop.run_until_complete(forget_task())
loop.run_until_complete(asyncio.sleep(5))  # the kernel's loop runs on
assert not asyncio.all_tasks(loop)  # the order was served: nothing is left
asyncio.set_event_loop(None)
loop.close()
say(elapsed_line("notebook", CLOCK[0]))
