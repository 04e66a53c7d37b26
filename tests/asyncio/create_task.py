# Mirror of examples/create_task.rs (seed 001's main/foo variations).
import asyncio
from rondo_vclock import run, say, elapsed_line

async def foo(text, nap=2):
    say(text)
    await asyncio.sleep(nap)

async def await_coroutine():
    say("I am Main"); await foo("I am foo"); say("finished")

async def spawn_without_await():
    say("I am Main"); asyncio.create_task(foo("I am foo")); say("finished")

async def spawn_then_await():
    say("I am Main"); task = asyncio.create_task(foo("I am foo")); await task; say("finished")

async def spawn_then_sleep2():
    say("I am Main"); task = asyncio.create_task(foo("I am foo")); await asyncio.sleep(2); say("finished")

async def spawn_then_sleep_half():
    say("I am Main"); task = asyncio.create_task(foo("I am foo", 10)); await asyncio.sleep(0.5); say("finished")

for title, main in [
    ("1. await foo(...) directly", await_coroutine),
    ("2. create_task(foo(...)), no await", spawn_without_await),
    ("3. create_task, then await the task", spawn_then_await),
    ("4. create_task, then sleep(2)", spawn_then_sleep2),
    ("5. create_task(foo sleeps 10 s), then sleep(0.5)", spawn_then_sleep_half),
]:
    say("--- " + title)
    _, end, cancelled = run(main())
    if cancelled:
        say("(%d task still pending was cancelled when main returned)" % cancelled)
    say(elapsed_line("main", end))
