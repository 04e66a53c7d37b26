# Mirror of examples/say.rs (seed 000's say() with run_forever, then gather).
import asyncio
from rondo_vclock import new_loop, say, elapsed_line, CLOCK

async def say_after(what, when, then_stop=False):
    await asyncio.sleep(when)
    say(what)
    if then_stop:
        asyncio.get_running_loop().stop()  # our Ctrl+C

loop = new_loop()
asyncio.set_event_loop(loop)
say("--- run_forever, stopped by the last task")
loop.create_task(say_after("hello", 0.5))
loop.create_task(say_after("world", 1, then_stop=True))
loop.run_forever()
say(elapsed_line("run_forever", CLOCK[0]))
say("--- run_until_complete(gather(t1, t2))")
t1 = loop.create_task(say_after("hello", 0.5))
t2 = loop.create_task(say_after("world", 1))
results = loop.run_until_complete(asyncio.gather(t1, t2))
say("[%s]" % ", ".join("()" if r is None else repr(r) for r in results))
loop.close()
