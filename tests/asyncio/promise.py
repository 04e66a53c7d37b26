# Mirror of examples/promise.rs (seed 002's foo/bar and the Future).
import asyncio
from rondo_vclock import run, say

async def bar(future):
    say("bar will sleep for 2 seconds")
    await asyncio.sleep(2)
    say("bar resolving the future")
    future.set_result("future is resolved")

async def foo(future):
    say("foo will await the future")
    future_result = await future
    say("Future result :  %s" % future_result)    # print("Future result : ", x)
    say("Is future is done?  %s" % future.done())
    return future.result()

async def main():
    future = asyncio.get_running_loop().create_future()
    results = await asyncio.gather(foo(future), bar(future))
    say(str(results))

run(main())
say("main exiting")
