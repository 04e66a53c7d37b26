# Mirror of examples/highest_prime.rs (seed 000's highest_prime_below, three ways).
import asyncio
from rondo_vclock import run, say, now, blocking_sleep

XS = (100000, 10000, 1000)
SLOW_STEP = 0.1  # rondo's default slow-step threshold
held = []        # (task name, seconds it held the loop, loop time it began)


def is_prime(x):
    if x < 2:
        return False
    d = 2
    while d * d <= x:
        if x % d == 0:
            return False
        d += 1
    return True


def highest_prime_below_sync(x):
    say(f"▶ Highest prime below {x}")
    for y in range(x - 1, 0, -1):
        if is_prime(y):
            say(f"▷ Highest prime below {x} is {y}")
            return y
        blocking_sleep(0.0001)  # time.sleep outside any loop
    return None


async def highest_prime_below(x):
    say(f"▶ Highest prime below {x}")
    for y in range(x - 1, 0, -1):
        if is_prime(y):
            say(f"▷ Highest prime below {x} is {y}")
            return y
        await asyncio.sleep(0.01)
    return None


async def highest_prime_below_blocking(x):
    # Never awaits, so its whole body is one step of its task: time that step.
    started = now()
    say(f"▶ Highest prime below {x}")
    result = None
    for y in range(x - 1, 0, -1):
        if is_prime(y):
            say(f"▷ Highest prime below {x} is {y}")
            result = y
            break
        blocking_sleep(0.01)  # time.sleep(0.01)
    took = now() - started
    if took > SLOW_STEP:
        held.append((asyncio.current_task().get_name(), took, started))
    return result


def make_main(search):
    async def main():
        t0 = asyncio.get_running_loop().time()
        await asyncio.gather(*(asyncio.create_task(search(x), name=f"highest_prime_below({x})") for x in XS))
        t1 = asyncio.get_running_loop().time()
        say(f"Took {1000 * (t1 - t0):.2f} ms")
    return main()


say("--- 1. a plain function, called three times (no event loop)")
for x in XS:
    highest_prime_below_sync(x)

say("--- 2. async, with await asyncio.sleep(0.01): the three interleave")
run(make_main(highest_prime_below))

say("--- 3. async, with time.sleep(0.01): one after the other")
run(make_main(highest_prime_below_blocking))
for name, seconds, at in held:
    say("slow step: task '%s' held the loop for %.3f s at t=%.3f" % (name, seconds, at))
