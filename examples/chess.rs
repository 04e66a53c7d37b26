//! # chess — seed 004's chess exhibition: 24 boards one at a time (12 h) or in turn (1 h)
//!
//! The seed's analogy for async IO: a master plays 24 amateurs. Our move
//! takes 5 s, theirs 55 s, and a game is 30 move pairs.
//! ```python
//! async def game(board):
//!     for _ in range(30):
//!         time.sleep(5)              # our move: we think, and nobody else gets our attention
//!         await asyncio.sleep(55)    # their move: we are free to go to another board
//!
//! async def synchronous():           # one game at a time, start to finish
//!     for board in range(1, 25):
//!         await game(board)
//!
//! async def asynchronous():          # one move at each board in turn
//!     await asyncio.gather(*(game(board) for board in range(1, 25)))
//! ```
//! **Watch for:** played one board at a time, each game takes 30 × 60 s =
//! 30 min and the exhibition 12 h — of which we spend 1 h moving and 11 h
//! waiting for replies. Played as 24 tasks, the replies come in while we
//! move at the other boards: the exhibition takes our own hour of moving
//! (the seed's 24 × 30 × 5 s) plus the 55 s the last opponent takes over
//! their last move — 1:00:55, which the seed rounds to "1 hour". A game is
//! over when we come back to its board and see that last move, so board 1,
//! whose opponent moved at 0:59:00, is seen finished only at 1:00:00: we
//! were busy at the other 23 boards. Our move is a *blocking* call
//! (`blocking_sleep`): while we think at one board, the loop — we — can do
//! nothing else. The slow-step detector would flag every such move (it
//! warns at 100 ms); here they are the point, so its threshold is set to a
//! minute of exhibition time — 6 ms on the real clock — and the program says
//! so in its second line.
//!
//! **Time.** With `--virtual` the 13 hours take no time at all, and
//! `--stamps` shows the exhibition time of every line. On the real clock one
//! exhibition second lasts 0.1 ms, so the run takes about 5 s. Real sleeps
//! wake late — by tens of µs, about a second of exhibition time at this
//! scale, sometimes by milliseconds — and 2,880 late wake-ups in a row
//! would add up to many minutes. So every move ends at a *deadline* on the
//! exhibition's schedule (sleep *until*, not sleep *for*): a late wake-up
//! shortens the next wait instead of pushing everything after it back. The
//! order of the moves does not depend on lateness, so the schedule — and
//! every printed time — is the same on both clocks; on the virtual clock
//! each step also checks that the schedule is exactly the loop's time.
//!
//! Run: `cargo run --example chess`, or
//! `cargo run --example chess -- --virtual` for instant time
//! (`-- --async` for the same program as `async fn`s — stage 9).

#[path = "common/mod.rs"]
mod common;

use rondo::{
    Context, Coroutine, CoroutineExt, Poll, Sleep, Transcript, blocking_sleep, from_future, gather, now,
    sleep,
};
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

const BOARDS: u32 = 24;
const PAIRS: u32 = 30;
/// Exhibition seconds per move.
const OUR_MOVE: u64 = 5;
const THEIR_MOVE: u64 = 55;

/// How exhibition time maps to loop time.
#[derive(Clone, Copy)]
struct Pace {
    /// Loop time per exhibition second: 1 s virtual, 0.1 ms real.
    second: Duration,
    /// Virtual clock: the schedule must be exactly the loop's time.
    exact: bool,
}

impl Pace {
    fn new(virtual_clock: bool) -> Pace {
        let second = if virtual_clock { Duration::from_secs(1) } else { Duration::from_micros(100) };
        Pace { second, exact: virtual_clock }
    }

    /// Loop time of exhibition second `t`.
    fn at(self, t: u64) -> Duration {
        self.second * u32::try_from(t).expect("an exhibition lasts under 136 years")
    }

    /// Our move: a blocking call (nothing else runs) that ends at exhibition time `t`.
    fn think_until(self, t: u64) {
        blocking_sleep(self.at(t).saturating_sub(now()));
    }

    /// Their move: a sleep (others run meanwhile) that ends at exhibition time `t`.
    fn wait_until(self, t: u64) -> Sleep {
        sleep(self.at(t).saturating_sub(now()))
    }

    /// On the virtual clock, a move scheduled at `t` must start at loop time `t`.
    fn check(self, t: u64) {
        if self.exact {
            assert_eq!(now(), self.at(t), "the schedule and the loop's clock disagree");
        }
    }
}

/// `h:mm:ss`, as Python's `str(timedelta(seconds=t))`.
fn hms(t: u64) -> String {
    format!("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
}

/// Us: one player for every board, so one timeline they all share.
#[derive(Default)]
struct Master {
    /// Exhibition time when our latest move ends: we cannot start another before.
    free_at: Cell<u64>,
    /// Exhibition seconds spent moving.
    moving: Cell<u64>,
    /// Games over so far.
    finished: Cell<u32>,
}

/// ```text
/// async def game(board):
///     for _ in range(30):
///         time.sleep(5)              # our move
///         await asyncio.sleep(55)    # their move
///     print(f"board {board}: game over at {h:mm:ss}")   # the first and the last only
///     return the time it was over
/// ```
/// Its times are kept on the exhibition's schedule: `ready_at` (this board
/// waits for us) and the master's `free_at` (our latest move is over).
struct Game {
    board: u32,
    pace: Pace,
    master: Rc<Master>,
    out: Transcript,
    /// Exhibition time when this board waits for us: the game starts, or a reply is in.
    ready_at: u64,
    pairs_played: u32,
    state: GameState,
}

enum GameState {
    OurMove,
    TheirMove(Sleep),
    Done,
}

fn game(board: u32, starts_at: u64, pace: Pace, master: &Rc<Master>, out: &Transcript) -> Game {
    let master = master.clone();
    Game {
        board,
        pace,
        master,
        out: out.clone(),
        ready_at: starts_at,
        pairs_played: 0,
        state: GameState::OurMove,
    }
}

impl Game {
    /// When we are back at this board: once we are free (our move elsewhere
    /// is over) *and* its opponent has replied — the later of the two.
    fn arrived(&self) -> u64 {
        let at = self.ready_at.max(self.master.free_at.get());
        self.pace.check(at);
        at
    }
}

impl Coroutine for Game {
    type Output = u64;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<u64> {
        loop {
            match &mut self.state {
                GameState::OurMove => {
                    let start = self.arrived();
                    let end = start + OUR_MOVE;
                    self.master.free_at.set(end);
                    self.master.moving.set(self.master.moving.get() + OUR_MOVE);
                    self.pace.think_until(end); // time.sleep(5): the whole loop waits
                    self.pairs_played += 1;
                    self.ready_at = end + THEIR_MOVE;
                    self.state = GameState::TheirMove(self.pace.wait_until(self.ready_at));
                }
                GameState::TheirMove(reply) => {
                    if reply.poll(cx).is_pending() {
                        return Poll::Pending; // the loop may take us to another board
                    }
                    if self.pairs_played < PAIRS {
                        self.state = GameState::OurMove;
                        continue;
                    }
                    let over_at = self.arrived(); // we come back and see their last move
                    let finished = self.master.finished.get() + 1;
                    self.master.finished.set(finished);
                    let rank = match finished {
                        1 => " (the first to finish)",
                        BOARDS => " (the last to finish)",
                        _ => "", // the 22 in between keep quiet
                    };
                    if !rank.is_empty() {
                        self.out.say(format!("board {}: game over at {}{rank}", self.board, hms(over_at)));
                    }
                    self.state = GameState::Done;
                    return Poll::Ready(over_at);
                }
                GameState::Done => panic!("game() polled after it completed"),
            }
        }
    }
}

/// The lines that close an exhibition.
fn say_totals(how: &str, total: u64, master: &Master, out: &Transcript) {
    let moving = master.moving.get();
    out.say(format!("{how} exhibition: {}", hms(total)));
    out.say(format!("  we moved for {}, and waited for replies for {}", hms(moving), hms(total - moving)));
}

/// `synchronous()`: the games one after another; each starts when the last ended.
struct Synchronous {
    pace: Pace,
    master: Rc<Master>,
    out: Transcript,
    state: SyncState,
}

enum SyncState {
    Start,
    /// `await game(board)`: the game is polled inside our own poll.
    Playing(Game),
    Done,
}

impl Coroutine for Synchronous {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                SyncState::Start => {
                    self.state = SyncState::Playing(game(1, 0, self.pace, &self.master, &self.out));
                }
                SyncState::Playing(current) => {
                    let Poll::Ready(ended_at) = current.poll(cx) else { return Poll::Pending };
                    if current.board < BOARDS {
                        let next = game(current.board + 1, ended_at, self.pace, &self.master, &self.out);
                        self.state = SyncState::Playing(next);
                        continue;
                    }
                    say_totals("Synchronous", ended_at, &self.master, &self.out);
                    self.state = SyncState::Done;
                    return Poll::Ready(());
                }
                SyncState::Done => panic!("synchronous() polled after it completed"),
            }
        }
    }
}

/// `asynchronous()`: every game at once, one task each. No state machine
/// needed: it is `await gather(...)` and then the totals, and stage 5 says
/// exactly that.
fn asynchronous(pace: Pace, out: &Transcript) -> impl Coroutine<Output = ()> + use<> {
    let master = Rc::new(Master::default());
    let games = (1..=BOARDS).map(|board| game(board, 0, pace, &master, out)).collect();
    let out = out.clone();
    gather(games).map(move |ends| {
        let last = ends.expect("every game ends").into_iter().max().unwrap_or(0);
        say_totals("Asynchronous", last, &master, &out);
    })
}

/// Runs one exhibition on a fresh loop.
fn exhibition<C: Coroutine<Output = ()> + 'static>(main: C, pace: Pace, virtual_clock: bool) {
    let ev = common::event_loop(virtual_clock);
    // Our 5-s moves are the blocking calls this scenario is about: warn only
    // about a step that holds the loop for over a minute of exhibition time.
    ev.set_slow_step_threshold(Some(pace.at(60)));
    ev.run(main).expect("the exhibition ends");
}

/// Runs the scenario, saying its lines into `out`.
pub fn run(virtual_clock: bool, out: &Transcript) {
    let pace = Pace::new(virtual_clock);
    say_intro(out);

    out.say("--- synchronous: one board at a time, start to finish");
    let master = Rc::new(Master::default());
    exhibition(Synchronous { pace, master, out: out.clone(), state: SyncState::Start }, pace, virtual_clock);

    out.say("--- asynchronous: one move at each board in turn");
    exhibition(asynchronous(pace, out), pace, virtual_clock);
}

/// The lines before the exhibitions: the rules, the scale, the detector.
fn say_intro(out: &Transcript) {
    out.say(format!(
        "{BOARDS} boards; our move takes {OUR_MOVE} s, our opponents' {THEIR_MOVE} s; {PAIRS} move pairs a game"
    ));
    out.say("(exhibition time: on the real clock 1 s of it lasts 0.1 ms, so 13 hours take about 5 s)");
    out.say(
        "(our moves block on purpose, so the slow-step detector warns only about a step over a minute \
         of exhibition time, 6 ms on the real clock, not over its usual 100 ms)",
    );
}

/// `game(board)` as an `async fn`: the `Game` machine above, on the same
/// schedule — `ready_at` is a local now, kept across the `.await`s by the
/// compiler instead of a field.
async fn game_async(board: u32, starts_at: u64, pace: Pace, master: Rc<Master>, out: Transcript) -> u64 {
    // When we are back at this board: once we are free *and* its opponent has replied.
    let arrived = |ready_at: u64| {
        let at = ready_at.max(master.free_at.get());
        pace.check(at);
        at
    };
    let mut ready_at = starts_at;
    for _ in 0..PAIRS {
        let end = arrived(ready_at) + OUR_MOVE;
        master.free_at.set(end);
        master.moving.set(master.moving.get() + OUR_MOVE);
        pace.think_until(end); // time.sleep(5): the whole loop waits
        ready_at = end + THEIR_MOVE;
        pace.wait_until(ready_at).await; // their move: the loop may take us to another board
    }
    let over_at = arrived(ready_at); // we come back and see their last move
    master.finished.set(master.finished.get() + 1);
    let rank = match master.finished.get() {
        1 => " (the first to finish)",
        BOARDS => " (the last to finish)",
        _ => "", // the 22 in between keep quiet
    };
    if !rank.is_empty() {
        out.say(format!("board {board}: game over at {}{rank}", hms(over_at)));
    }
    over_at
}

/// `synchronous()` as an `async fn`: the `Synchronous` machine above.
/// `game_async(..).await` polls the game inside this task, as `await game(board)` does.
async fn synchronous_async(pace: Pace, out: Transcript) {
    let master = Rc::new(Master::default());
    let mut ended_at = 0;
    for board in 1..=BOARDS {
        ended_at = game_async(board, ended_at, pace, master.clone(), out.clone()).await;
    }
    say_totals("Synchronous", ended_at, &master, &out);
}

/// `asynchronous()` as an `async fn`: the `gather(..).map(..)` of [`asynchronous`].
async fn asynchronous_async(pace: Pace, out: Transcript) {
    let master = Rc::new(Master::default());
    let games = (1..=BOARDS)
        .map(|board| from_future(game_async(board, 0, pace, master.clone(), out.clone())))
        .collect();
    let ends = gather(games).await.expect("every game ends");
    say_totals("Asynchronous", ends.into_iter().max().unwrap_or(0), &master, &out);
}

/// The scenario as `async fn`s (`--async`): the same lines, times and iterations.
#[allow(dead_code)] // unused when the tour includes this file as a module
pub fn run_async(virtual_clock: bool, out: &Transcript) {
    let pace = Pace::new(virtual_clock);
    say_intro(out);
    out.say("--- synchronous: one board at a time, start to finish");
    exhibition(from_future(synchronous_async(pace, out.clone())), pace, virtual_clock);
    out.say("--- asynchronous: one move at each board in turn");
    exhibition(from_future(asynchronous_async(pace, out.clone())), pace, virtual_clock);
}

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    let args = common::Args::parse();
    match args.async_fns {
        true => run_async(args.virtual_clock, &args.transcript()),
        false => run(args.virtual_clock, &args.transcript()),
    }
}
