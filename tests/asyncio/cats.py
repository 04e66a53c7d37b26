# Mirror of examples/cats.rs (seed 003's five AsyncCats).
import asyncio
from rondo_vclock import run, say, elapsed_line

class AsyncCat:
    async def exists(self):
        self._eat()
        await self._have_free_time()

    def _eat(self):
        say("eat")

    async def _have_free_time(self):
        say("have free time")
        await self._sleep()

    async def _sleep(self):
        say("sleeping")
        await asyncio.sleep(2)
        say("wake")

async def main(cats):
    await asyncio.gather(*[cat.exists() for cat in cats])

_, end, _ = run(main([AsyncCat() for _ in range(5)]))
say(elapsed_line("cats", end))
