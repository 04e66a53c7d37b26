# Mirror of examples/chess.rs (seed 004's chess exhibition). The seed's program,
# plainly: a blocking 5 s move, a 55 s sleep for the reply, times read from
# the (virtual) loop clock. The Rust example keeps the same times as a
# schedule of deadlines so that its scaled real clock prints them too; under
# the virtual clock it checks that schedule against the loop's time.
import asyncio
from rondo_vclock import new_loop, run, say, blocking_sleep, now

BOARDS, PAIRS, OUR_MOVE, THEIR_MOVE = 24, 30, 5, 55

def hms(t):
    t = int(t)
    return "%d:%02d:%02d" % (t // 3600, t // 60 % 60, t % 60)

class Master:
    def __init__(self):
        self.moving = 0
        self.finished = 0

async def game(board, master):
    for _ in range(PAIRS):
        blocking_sleep(OUR_MOVE)          # time.sleep(5): we think, nobody else runs
        master.moving += OUR_MOVE
        await asyncio.sleep(THEIR_MOVE)   # their move: we may go to another board
    over_at = now()
    master.finished += 1
    if master.finished == 1:
        say("board %d: game over at %s (the first to finish)" % (board, hms(over_at)))
    elif master.finished == BOARDS:
        say("board %d: game over at %s (the last to finish)" % (board, hms(over_at)))
    return over_at

def say_totals(how, total, master):
    say("%s exhibition: %s" % (how, hms(total)))
    say("  we moved for %s, and waited for replies for %s" % (hms(master.moving), hms(total - master.moving)))

async def synchronous(master):
    for board in range(1, BOARDS + 1):
        ended_at = await game(board, master)
    say_totals("Synchronous", ended_at, master)

async def asynchronous(master):
    ends = await asyncio.gather(*(game(board, master) for board in range(1, BOARDS + 1)))
    say_totals("Asynchronous", max(ends), master)

say("%d boards; our move takes %d s, our opponents' %d s; %d move pairs a game"
    % (BOARDS, OUR_MOVE, THEIR_MOVE, PAIRS))
say("(exhibition time: on the real clock 1 s of it lasts 0.1 ms, so 13 hours take about 5 s)")
say("(our moves block on purpose, so the slow-step detector warns only about a step over a minute of exhibition time, 6 ms on the real clock, not over its usual 100 ms)")
say("--- synchronous: one board at a time, start to finish")
run(synchronous(Master()))
say("--- asynchronous: one move at each board in turn")
run(asynchronous(Master()))
