# Mirror of examples/hello.rs (seed 003's hello(): awaited twice, then gathered).
import asyncio
from rondo_vclock import run, say, elapsed_line


async def hello():
    say("hello")
    await asyncio.sleep(1)
    say("goodbye")


async def one_after_the_other():
    await hello()
    await hello()


async def together():
    await asyncio.gather(hello(), hello())


for title, main in [
    ("await hello(); await hello()", one_after_the_other),
    ("await asyncio.gather(hello(), hello())", together),
]:
    say("--- " + title)
    _, end, _ = run(main())
    say(elapsed_line("main", end))
