//! # bank — the lost update: two depositors, one balance, with and without a `Lock`
//!
//! ```python
//! async def deposit(account, who, lock):
//!     for _ in range(3):
//!         async with lock:                   # (the first run has no lock: these lines alone)
//!             balance = account.balance      # read
//!             await asyncio.sleep(0)         # let the other task run: a network call, say
//!             account.balance = balance + 10 # write what we read, plus ten
//!     print(f"{who} done")
//! async def main():
//!     await asyncio.gather(deposit(account, "A", None), deposit(account, "B", None))
//!     print(f"without a lock: {account.balance}")
//!     await asyncio.gather(deposit(account, "A", lock), deposit(account, "B", lock))  # fresh account
//!     print(f"with a lock: {account.balance}")
//! ```
//! **Watch for:** six deposits of 10, but without a lock the balance is 30.
//! One thread, no data race — and still a lost update: A reads 0, pauses at
//! its `await`, B reads 0 too, A writes 10, B writes 10. An `await` between
//! a read and a write is where another task may run. With the lock, the
//! read-pause-write is one piece: B waits at `async with` until A's write is
//! done, and the balance is 60. In rondo the lock's guard is the `async
//! with`: dropping it releases the lock.
//!
//! Run: `cargo run --example bank` (`-- --virtual` for instant time,
//! `-- --stamps` for the loop time of every line, `-- --async` for the same
//! program as `async fn`s — stage 9).

#[path = "common/mod.rs"]
mod common;

use rondo::stage7_coordination::Acquire;
use rondo::{Context, Coroutine, Gather, Lock, LockGuard, Poll, Transcript, from_future, gather, yield_now};
use std::cell::Cell;
use std::rc::Rc;

/// `account.balance`, shared by both depositors.
type Account = Rc<Cell<u32>>;

/// `deposit(account, who, lock)`.
struct Deposit {
    account: Account,
    who: &'static str,
    lock: Option<Lock>,
    /// `for _ in range(3)`
    round: u32,
    out: Transcript,
    state: DepositState,
}

enum DepositState {
    /// The head of the `for` loop.
    Next,
    /// `async with lock:` — in line for the lock.
    Locking(Acquire),
    /// Read `balance`; paused at `await asyncio.sleep(0)`, holding the
    /// lock's guard (if there is a lock) across the pause.
    Paused {
        balance: u32,
        guard: Option<LockGuard>,
        pause: rondo::stage2_coroutine::YieldNow,
    },
    Done,
}

impl Deposit {
    /// `balance = account.balance`, then the pause.
    fn read(&self, guard: Option<LockGuard>) -> DepositState {
        DepositState::Paused { balance: self.account.get(), guard, pause: yield_now() }
    }
}

impl Coroutine for Deposit {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                DepositState::Next if self.round == 3 => {
                    self.out.say(format!("{} done", self.who));
                    self.state = DepositState::Done;
                    return Poll::Ready(());
                }
                DepositState::Next => {
                    self.state = match &self.lock {
                        Some(lock) => DepositState::Locking(lock.acquire()),
                        None => self.read(None),
                    };
                }
                DepositState::Locking(acquire) => {
                    let Poll::Ready(guard) = acquire.poll(cx) else { return Poll::Pending };
                    self.state = self.read(Some(guard));
                }
                DepositState::Paused { balance, guard, pause } => {
                    let Poll::Ready(()) = pause.poll(cx) else { return Poll::Pending };
                    self.account.set(*balance + 10); // write
                    drop(guard.take()); // the end of `async with lock:`
                    self.round += 1;
                    self.state = DepositState::Next;
                }
                DepositState::Done => panic!("deposit() polled after it completed"),
            }
        }
    }
}

/// `main()`: the two runs, one after the other.
struct Main {
    out: Transcript,
    state: MainState,
}

enum MainState {
    Start,
    WithoutLock { account: Account, both: Gather<()> },
    WithLock { account: Account, both: Gather<()> },
    Done,
}

impl Main {
    /// `asyncio.gather(deposit(account, "A", lock), deposit(account, "B", lock))` on a fresh account.
    fn both(&self, lock: Option<Lock>) -> (Account, Gather<()>) {
        let account = Account::default();
        let deposit = |who| Deposit {
            account: account.clone(),
            who,
            lock: lock.clone(),
            round: 0,
            out: self.out.clone(),
            state: DepositState::Next,
        };
        let both = gather(vec![deposit("A"), deposit("B")]);
        (account, both)
    }
}

impl Coroutine for Main {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                MainState::Start => {
                    let (account, both) = self.both(None);
                    self.state = MainState::WithoutLock { account, both };
                }
                MainState::WithoutLock { account, both } => {
                    let Poll::Ready(done) = both.poll(cx) else { return Poll::Pending };
                    done.expect("deposits do not fail");
                    self.out.say(format!("without a lock: {}", account.get()));
                    let (account, both) = self.both(Some(Lock::new()));
                    self.state = MainState::WithLock { account, both };
                }
                MainState::WithLock { account, both } => {
                    let Poll::Ready(done) = both.poll(cx) else { return Poll::Pending };
                    done.expect("deposits do not fail");
                    self.out.say(format!("with a lock: {}", account.get()));
                    self.state = MainState::Done;
                    return Poll::Ready(());
                }
                MainState::Done => panic!("main() polled after it completed"),
            }
        }
    }
}

/// Runs the scenario, saying its lines into `out`.
pub fn run(virtual_clock: bool, out: &Transcript) {
    let ev = common::event_loop(virtual_clock);
    ev.run(Main { out: out.clone(), state: MainState::Start }).expect("main completes");
}

/// `deposit(account, who, lock)` as an `async fn`: the `Deposit` machine
/// above. `async with lock:` is a guard held to the end of the loop's body;
/// without a lock there is no guard, and the same three lines.
async fn deposit_async(account: Account, who: &'static str, lock: Option<Lock>, out: Transcript) {
    for _ in 0..3 {
        let _guard = match &lock {
            Some(lock) => Some(lock.acquire().await), // async with lock:
            None => None,
        };
        let balance = account.get(); // read
        yield_now().await; // await asyncio.sleep(0): let the other task run
        account.set(balance + 10); // write what we read, plus ten
    } // each round's guard is dropped here: the end of `async with`
    out.say(format!("{who} done"));
}

/// `main()` as an `async fn`: the `Main` machine above.
async fn main_async(out: Transcript) {
    let deposit = |account: &Account, who, lock: &Option<Lock>| {
        from_future(deposit_async(account.clone(), who, lock.clone(), out.clone()))
    };
    let account = Account::default();
    gather(vec![deposit(&account, "A", &None), deposit(&account, "B", &None)])
        .await
        .expect("deposits do not fail");
    out.say(format!("without a lock: {}", account.get()));
    let account = Account::default();
    let lock = Some(Lock::new());
    gather(vec![deposit(&account, "A", &lock), deposit(&account, "B", &lock)])
        .await
        .expect("deposits do not fail");
    out.say(format!("with a lock: {}", account.get()));
}

/// The scenario as `async fn`s (`--async`): the same lines, times and iterations.
#[allow(dead_code)] // unused when the tour includes this file as a module
pub fn run_async(virtual_clock: bool, out: &Transcript) {
    let ev = common::event_loop(virtual_clock);
    ev.run(from_future(main_async(out.clone()))).expect("main completes");
}

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    let args = common::Args::parse();
    match args.async_fns {
        true => run_async(args.virtual_clock, &args.transcript()),
        false => run(args.virtual_clock, &args.transcript()),
    }
}
