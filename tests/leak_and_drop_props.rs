//! Whatever a program does and however its loop ends, the loop leaves nothing behind.
//!
//! Random programs — spawn, sleep, yield, await (through a shared slot or an
//! owned handle), gather, select, race, wait_for, shield, promises, cancel
//! at random points, panics at random points — run on a loop that ends in
//! one of seven ways: `run_until_complete` to the end; `EventLoop::run`;
//! `rondo::try_run` (asyncio.run itself, on the real clock); stopped after a
//! random time, or a random number of iterations; never run at all; or
//! stopped and then dropped by a coroutine of another loop. Some programs
//! also deadlock, or panic in main. Then the loop is dropped. The same is
//! done with cancel chains thousands of tasks deep, with await cycles (a
//! ring of tasks each awaiting the next, sizes 1 to thousands), and with
//! programs whose clean-ups (a coroutine's `Drop`) spawn tasks. After every
//! case:
//!
//! - every coroutine the program made (each holds a [`Guard`]) was dropped
//!   exactly once: after `cancel_all()` if the case asks for it, and in any
//!   case once the loop itself is dropped;
//! - after `cancel_all()`, `all_tasks()` is empty, the loop holds no task,
//!   ready entry or timer (its `Debug`), and an empty `run_forever()` reports
//!   a deadlock with nobody stuck *without moving the clock* (a timer left
//!   behind would move it);
//! - every task handle the program kept says `done()` once its loop is gone;
//! - every block allocated while the case ran has been freed once the loop
//!   and everything the test held are dropped, and no older block grew
//!   meanwhile (a counting allocator, below: the loop's memory is back to
//!   where it started);
//! - no panic happened other than the ones the programs inject, and rondo's
//!   refusal of a second awaiter of one task (a panic inside rondo would
//!   otherwise hide as "a task panicked", which the programs tolerate).
//!
//! And for chains and cycles on the virtual clock, when a cancellation
//! reached a member, every member has ended by the time the canceller next
//! wakes (the cancellation runs down the chain, or round the cycle, while
//! the clock stands still).
//!
//! Why: a loop that ends with work left is the common case (asyncio.run
//! cancels what main left behind; a test drops its loop after a deadlock),
//! and its tasks, awaiters and wakers refer to each other in cycles of `Rc`s.
//! A `Drop` that never runs is a clean-up that never happens, and memory
//! that never comes back; one that runs twice is worse. The regression tests
//! of the defects of this kind found so far are in `failure_paths.rs`.
//!
//! `RONDO_PROPTEST_SCALE=100` runs a hundred times as many cases.

mod common;

use common::config;
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use rondo::{
    BoxCoroutine, Context, Coroutine, CoroutineExt, EventLoop, LoopError, Poll, Promise, Task, gather,
    gather_settled, poll_fn, race, select, shield, sleep, spawn, wait_for, yield_now,
};
use std::alloc::{GlobalAlloc, Layout, System};
use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::Once;
use std::sync::atomic::{AtomicIsize, AtomicU64, Ordering};
use std::time::Duration;

// ---------------------------------------------------------------------------
// The counting allocator
// ---------------------------------------------------------------------------
//
// Counting live bytes globally would count the test harness's other threads
// too, and counting them per thread would still count what the harness does
// on *this* thread meanwhile: its captured-output buffer grows by `realloc`
// when rondo reports an unobserved panic on stderr as its loop is dropped.
// So each block carries, in a small header, the measuring "window" that was
// open on its thread when it was allocated (none: 0). A case opens a window,
// builds and runs the program, drops the loop and all it held, and closes
// the window: every block tagged with that window must have been freed by
// then — on whatever thread (a real-clock loop's watchdog thread frees the
// closure it was started with), so a window's counts live in a global table,
// not in a thread-local. Blocks from before the window (the capture buffer,
// lazily made thread-locals) are not the loop's and do not count.
//
// Beside it, the window counts what its thread did to blocks from before
// the window: growing one (a registry that never shrinks) is a leak too.
// That one is checked only when nothing can have printed.

/// Counts, per window, the blocks that are still live.
struct Counting;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes in front of each block: its window's number and table entry.
const HEADER: usize = 16;

/// A window's counts: live bytes and blocks tagged with it, and how much
/// its thread grew blocks from before it.
struct Counts {
    /// The window using this entry (0: free).
    window: AtomicU64,
    bytes: AtomicIsize,
    blocks: AtomicIsize,
    older_growth: AtomicIsize,
}

/// One entry per window open at once: one per test thread, at most.
const ENTRIES: usize = 64;

static COUNTS: [Counts; ENTRIES] = [const {
    Counts {
        window: AtomicU64::new(0),
        bytes: AtomicIsize::new(0),
        blocks: AtomicIsize::new(0),
        older_growth: AtomicIsize::new(0),
    }
}; ENTRIES];

/// Window numbers: unique in the process, so a block freed after its window
/// closed is never mistaken for one of a later window using the same entry.
static WINDOWS: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The window open on this thread and its entry (`(0, 0)`: none). `const`
    /// and free of `Drop`: using it never allocates, so the allocator may
    /// (and `try_with` covers the thread's very end).
    static OPEN: Cell<(u64, usize)> = const { Cell::new((0, 0)) };
}

fn open_window() -> (u64, usize) {
    OPEN.try_with(Cell::get).unwrap_or((0, 0))
}

/// The layout asked of `System` for `layout`, and the offset of the caller's block in it.
fn padded(layout: Layout) -> Option<(Layout, usize)> {
    let offset = layout.align().max(HEADER);
    let outer = Layout::from_size_align(layout.size().checked_add(offset)?, offset).ok()?;
    Some((outer, offset))
}

/// Reads the tag in front of `block`.
///
/// # Safety
/// `block` was allocated by [`Counting`].
unsafe fn tag(block: *mut u8) -> (u64, usize) {
    unsafe { (block.sub(HEADER).cast::<u64>().read(), block.sub(8).cast::<usize>().read()) }
}

/// `bytes` and `blocks` more (or fewer) live in the block tagged `(window, entry)`.
fn note(tag: (u64, usize), bytes: isize, blocks: isize) {
    let (window, entry) = tag;
    let counts = &COUNTS[entry];
    if window != 0 && counts.window.load(Ordering::Acquire) == window {
        counts.bytes.fetch_add(bytes, Ordering::Relaxed);
        counts.blocks.fetch_add(blocks, Ordering::Relaxed);
        return;
    }
    // A block from outside this thread's window, resized or freed by it.
    let (open, entry) = open_window();
    if open != 0 && bytes != 0 {
        COUNTS[entry].older_growth.fetch_add(bytes, Ordering::Relaxed);
    }
}

impl Counting {
    /// Allocates through `allocate` with room for the header, and tags the block.
    unsafe fn tagged(&self, layout: Layout, allocate: impl FnOnce(Layout) -> *mut u8) -> *mut u8 {
        let Some((outer, offset)) = padded(layout) else { return std::ptr::null_mut() };
        let base = allocate(outer);
        if base.is_null() {
            return base;
        }
        let (window, entry) = open_window();
        // SAFETY: `base` has `offset >= HEADER` bytes before the caller's
        // block, and `block - HEADER` is 16-aligned (the block is).
        let block = unsafe { base.add(offset) };
        unsafe {
            block.sub(HEADER).cast::<u64>().write(window);
            block.sub(8).cast::<usize>().write(entry);
        }
        if window != 0 {
            note((window, entry), layout.size() as isize, 1);
        }
        block
    }
}

// SAFETY: every block is `System`'s, with `padded`'s layout; the header is
// written at allocation, moved along by `realloc`, and read back before freeing.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { self.tagged(layout, |outer| System.alloc(outer)) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe { self.tagged(layout, |outer| System.alloc_zeroed(outer)) }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        let Some((outer, offset)) = padded(layout) else { return }; // it was allocated, so it fits
        unsafe {
            note(tag(block), -(layout.size() as isize), -1);
            System.dealloc(block.sub(offset), outer);
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Some((outer, offset)) = padded(layout) else { return std::ptr::null_mut() };
        let Some(new_outer) = new_size.checked_add(offset) else { return std::ptr::null_mut() };
        if Layout::from_size_align(new_outer, offset).is_err() {
            return std::ptr::null_mut();
        }
        unsafe {
            let tag = tag(block);
            let base = System.realloc(block.sub(offset), outer, new_outer);
            if base.is_null() {
                return base;
            }
            // A block keeps the window it was born in, whoever grows it.
            note(tag, new_size as isize - layout.size() as isize, 0);
            base.add(offset)
        }
    }
}

/// A measuring window on this thread; closed when dropped (also by a panic).
struct Window {
    entry: usize,
}

/// What a window left live.
#[derive(Debug)]
struct Leak {
    blocks: isize,
    bytes: isize,
    /// How much the window's thread grew blocks from before the window.
    older_growth: isize,
}

impl Window {
    fn open() -> Window {
        assert_eq!(open_window().0, 0, "measuring windows do not nest");
        let window = WINDOWS.fetch_add(1, Ordering::Relaxed);
        let entry = (0..ENTRIES)
            .find(|&e| {
                COUNTS[e].window.compare_exchange(0, window, Ordering::AcqRel, Ordering::Relaxed).is_ok()
            })
            .expect("a free entry: one window per thread");
        let counts = &COUNTS[entry];
        counts.bytes.store(0, Ordering::Relaxed);
        counts.blocks.store(0, Ordering::Relaxed);
        counts.older_growth.store(0, Ordering::Relaxed);
        OPEN.with(|open| open.set((window, entry)));
        Window { entry }
    }

    fn close(self) -> Leak {
        let counts = &COUNTS[self.entry];
        Leak {
            blocks: counts.blocks.load(Ordering::Relaxed),
            bytes: counts.bytes.load(Ordering::Relaxed),
            older_growth: counts.older_growth.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Window {
    fn drop(&mut self) {
        OPEN.with(|open| open.set((0, 0)));
        COUNTS[self.entry].window.store(0, Ordering::Release);
    }
}

/// Runs `f` with this thread's window paused: what it allocates is not the case's.
fn unmeasured<R>(f: impl FnOnce() -> R) -> R {
    let open = OPEN.with(|open| open.replace((0, 0)));
    let result = f();
    OPEN.with(|o| o.set(open));
    result
}

// ---------------------------------------------------------------------------
// Panics: the injected ones are quiet, any other one is recorded
// ---------------------------------------------------------------------------

/// The payload of the panics the programs inject (`panic_any`; zero-sized,
/// so it allocates nothing).
struct Injected;

thread_local! {
    /// Panics other than [`Injected`] while a window was open on this thread.
    static UNEXPECTED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// Set while a panic is expected and caught on the spot.
    static QUIET: Cell<bool> = const { Cell::new(false) };
    /// Misuses rondo refused with a panic during the current case.
    static REFUSED: Cell<u32> = const { Cell::new(0) };
}

/// Silences the injected panics (thousands of them would bury any real
/// message) and records any other panic of a running case.
///
/// The hook is process-wide. Instead of swapping it in and out around each
/// case — racing the other tests of this binary, which run on other threads
/// — it is installed once, keeps the hook it replaced, and hands that hook
/// every panic that is not [`Injected`]: other tests' panics print as before.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if refused_misuse(info) {
                REFUSED.with(|r| r.set(r.get() + 1));
                return;
            }
            if info.payload().is::<Injected>() || QUIET.with(Cell::get) {
                return;
            }
            if open_window().0 != 0 {
                unmeasured(|| UNEXPECTED.with(|u| u.borrow_mut().push(info.to_string())));
            }
            previous(info);
        }));
    });
}

/// A panic by which rondo refuses a misuse the programs may make on
/// purpose: two coroutines awaiting one task ("await any task" can pick a
/// task another one awaits already). The refusal is the behaviour under test
/// elsewhere (`failure_paths.rs`); here it is one more way a task ends.
fn refused_misuse(info: &std::panic::PanicHookInfo<'_>) -> bool {
    info.location().is_some_and(|at| at.file().ends_with("stage4_event_loop/task_handle.rs"))
        && describe_payload(info.payload()).contains("is awaited by two coroutines at once")
}

fn inject_panic(env: &Env) -> ! {
    env.panics.set(env.panics.get() + 1);
    std::panic::panic_any(Injected)
}

fn describe_payload(payload: &(dyn Any + Send)) -> String {
    if payload.is::<Injected>() {
        "an injected panic".into()
    } else if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".into()
    }
}

// ---------------------------------------------------------------------------
// What a program shares: its guards' drop counts, its tasks, its promises
// ---------------------------------------------------------------------------

/// A task handle in a place any coroutine of the program can reach: to
/// await it (polling through the slot), take it, or cancel the task.
type Slot = Rc<RefCell<Option<Task<()>>>>;

#[derive(Default)]
struct Env {
    /// What a program's "1 ms" is: a millisecond on the virtual clock; on
    /// the real one, 50 µs (the same programs, twenty times faster).
    tick: Duration,
    /// Per guard: what it guards, and how many times it was dropped.
    guards: RefCell<Vec<(&'static str, u32)>>,
    /// Every task the program spawned, in spawn order.
    tasks: RefCell<Vec<Slot>>,
    promises: RefCell<Vec<Promise<()>>>,
    /// Panics injected so far.
    panics: Cell<u32>,
    /// Chains and cycles: how many members had not ended when the task that
    /// cancelled one of them woke up next (`None`: no cancellation reached one).
    left_after_cancel: Cell<Option<usize>>,
}

impl Env {
    fn new(ending: Ending) -> Rc<Env> {
        let tick = if ending.real_clock() { Duration::from_micros(50) } else { Duration::from_millis(1) };
        Rc::new(Env { tick, ..Env::default() })
    }

    fn on_virtual_clock(&self) -> bool {
        self.tick == Duration::from_millis(1)
    }

    /// `n` of this program's milliseconds.
    fn ms(&self, n: impl Into<u32>) -> Duration {
        self.tick * n.into()
    }

    /// Spawns `coroutine` on the running loop and keeps its handle in a new slot.
    fn spawn(&self, coroutine: impl Coroutine<Output = ()> + 'static) -> Slot {
        let slot: Slot = Rc::new(RefCell::new(Some(spawn(coroutine))));
        self.tasks.borrow_mut().push(slot.clone());
        slot
    }

    /// Guards of coroutines of this kind that have not been dropped.
    fn undropped(&self, kind: &str) -> usize {
        self.guards.borrow().iter().filter(|(k, drops)| *k == kind && *drops == 0).count()
    }

    /// Every guard made so far was dropped exactly once.
    fn every_drop_ran_once(&self, when: &str) -> Result<(), TestCaseError> {
        let guards = self.guards.borrow();
        let never: Vec<_> = guards.iter().enumerate().filter(|(_, (_, n))| *n == 0).collect();
        let twice: Vec<_> = guards.iter().enumerate().filter(|(_, (_, n))| *n > 1).collect();
        prop_assert!(
            never.is_empty() && twice.is_empty(),
            "{when}: of {} coroutines, {} were never dropped and {} more than once \
             (guard number, (kind, drops)): never {:?}, more than once {:?}",
            guards.len(),
            never.len(),
            twice.len(),
            &never[..never.len().min(10)],
            &twice[..twice.len().min(10)]
        );
        Ok(())
    }
}

/// Counts its own drop in its program's [`Env`].
struct Guard {
    env: Rc<Env>,
    number: usize,
}

impl Guard {
    fn new(env: &Rc<Env>, kind: &'static str) -> Guard {
        let mut guards = env.guards.borrow_mut();
        guards.push((kind, 0));
        Guard { env: env.clone(), number: guards.len() - 1 }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.env.guards.borrow_mut()[self.number].1 += 1;
    }
}

/// A coroutine with a [`Guard`].
struct Guarded<C> {
    inner: C,
    _guard: Guard,
}

impl<C> Guarded<C> {
    fn new(env: &Rc<Env>, kind: &'static str, inner: C) -> Guarded<C> {
        Guarded { inner, _guard: Guard::new(env, kind) }
    }
}

impl<C: Coroutine> Coroutine for Guarded<C> {
    type Output = C::Output;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<C::Output> {
        self.inner.poll(cx)
    }
}

/// Awaits the task in `slot`, polling it where it is, so others can still
/// reach it. Its outcome (cancelled, panicked) does not matter. An empty
/// slot — taken, or awaited to the end by someone else — counts as done.
fn await_slot(slot: Slot) -> impl Coroutine<Output = ()> {
    poll_fn(move |cx| {
        let mut handle = slot.borrow_mut();
        let Some(task) = handle.as_mut() else { return Poll::Ready(()) };
        let poll = task.poll(cx).map(|_| ());
        if poll.is_ready() {
            *handle = None; // its output is taken: polling it again would panic
        }
        poll
    })
}

/// Takes the handle out of `slot` at the first poll and awaits the task
/// owning it: if this coroutine is cancelled, the handle is dropped while
/// awaited, and the cancellation goes on into the task.
fn await_owned(slot: Slot) -> impl Coroutine<Output = ()> {
    let mut slot = Some(slot);
    let mut owned: Option<Task<()>> = None;
    poll_fn(move |cx| {
        if let Some(slot) = slot.take() {
            owned = slot.borrow_mut().take();
        }
        match owned.as_mut() {
            Some(task) => task.poll(cx).map(|_| ()),
            None => Poll::Ready(()),
        }
    })
}

fn ms(millis: impl Into<u64>) -> Duration {
    Duration::from_millis(millis.into())
}

// ---------------------------------------------------------------------------
// Random programs
// ---------------------------------------------------------------------------

/// One operation of a program. Indices pick modulo what exists when the op
/// runs (a child of this program, a task or promise of the whole program);
/// with nothing to pick, the op does nothing.
#[derive(Clone)]
enum Op {
    Sleep(u8),
    Yield,
    /// Spawn a child task running this program.
    Spawn(Vec<Op>),
    /// Await a child, through its slot.
    Await(u8),
    /// Await a child through its handle, taken out of its slot.
    Take(u8),
    /// Await any task of the program through its slot — itself, an
    /// ancestor awaiting it (a cycle), one someone else awaits (its joiner
    /// is replaced: the first awaiter may wait forever).
    AwaitAny(u8),
    /// `gather` (or `gather_settled`) of child programs.
    Gather(bool, Vec<Vec<Op>>),
    /// `select` of two programs, run inline.
    Select(Vec<Op>, Vec<Op>),
    Race(Vec<Vec<Op>>),
    /// `wait_for(program, ms)`.
    WaitFor(u8, Vec<Op>),
    /// Await a child through `shield`.
    Shield(u8),
    /// Drop a child's handle: the task runs on, detached.
    Detach(u8),
    /// `cancel()` any task of the program.
    Cancel(u8),
    NewPromise,
    SetPromise(u8),
    CancelPromise(u8),
    AwaitPromise(u8),
    Panic,
    /// From here on, if this program is dropped before it completes (it is
    /// cancelled, or loses a race), its `Drop` spawns this child program: a
    /// clean-up that schedules work (asyncio: `finally: create_task(...)`).
    OnCancelSpawn(Vec<Op>),
}

impl fmt::Debug for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Sleep(ms) => write!(f, "sleep {ms}"),
            Op::Yield => write!(f, "yield"),
            Op::Spawn(p) => write!(f, "spawn {p:?}"),
            Op::Await(i) => write!(f, "await {i}"),
            Op::Take(i) => write!(f, "await-owned {i}"),
            Op::AwaitAny(k) => write!(f, "await-any {k}"),
            Op::Gather(false, ps) => write!(f, "gather {ps:?}"),
            Op::Gather(true, ps) => write!(f, "gather-settled {ps:?}"),
            Op::Select(a, b) => write!(f, "select({a:?}, {b:?})"),
            Op::Race(ps) => write!(f, "race {ps:?}"),
            Op::WaitFor(ms, p) => write!(f, "wait-for({p:?}, {ms})"),
            Op::Shield(i) => write!(f, "shield {i}"),
            Op::Detach(i) => write!(f, "detach {i}"),
            Op::Cancel(k) => write!(f, "cancel-any {k}"),
            Op::NewPromise => write!(f, "new-promise"),
            Op::SetPromise(p) => write!(f, "set {p}"),
            Op::CancelPromise(p) => write!(f, "cancel-promise {p}"),
            Op::AwaitPromise(p) => write!(f, "await-promise {p}"),
            Op::Panic => write!(f, "panic"),
            Op::OnCancelSpawn(p) => write!(f, "on-cancel-spawn {p:?}"),
        }
    }
}

fn pick<T: Clone>(items: &[T], i: u8) -> Option<T> {
    (!items.is_empty()).then(|| items[usize::from(i) % items.len()].clone())
}

/// A coroutine that runs a program.
struct Node {
    ops: VecDeque<Op>,
    /// This program's children, in spawn order.
    children: Vec<Slot>,
    waiting: Option<BoxCoroutine<'static, ()>>,
    done: bool,
    /// The clean-up `Drop` spawns if the program did not complete.
    on_cancel: Option<Vec<Op>>,
    guard: Guard,
}

impl Node {
    fn new(env: &Rc<Env>, ops: &[Op], kind: &'static str) -> Node {
        Node {
            ops: ops.iter().cloned().collect(),
            children: vec![],
            waiting: None,
            done: false,
            on_cancel: None,
            guard: Guard::new(env, kind),
        }
    }

    /// Performs `op`; what it returns is awaited before the next op.
    fn start(&mut self, op: Op) -> Option<BoxCoroutine<'static, ()>> {
        let env = self.guard.env.clone();
        let nodes = |programs: &[Vec<Op>], kind| programs.iter().map(|p| Node::new(&env, p, kind)).collect();
        let awaited: BoxCoroutine<'static, ()> = match op {
            Op::Sleep(millis) => Box::new(sleep(env.ms(millis))),
            Op::Yield => Box::new(yield_now()),
            Op::Spawn(program) => {
                let child = Node::new(&env, &program, "spawned task");
                self.children.push(env.spawn(child));
                return None;
            }
            Op::Await(i) => Box::new(await_slot(pick(&self.children, i)?)),
            Op::Take(i) => Box::new(pick(&self.children, i)?.borrow_mut().take()?.map(|_| ())),
            Op::AwaitAny(k) => {
                let slot = pick(&env.tasks.borrow(), k)?;
                Box::new(await_slot(slot))
            }
            Op::Gather(false, programs) => {
                Box::new(gather::<Node>(nodes(&programs, "gather child")).map(|_| ()))
            }
            Op::Gather(true, programs) => {
                Box::new(gather_settled::<Node>(nodes(&programs, "gather child")).map(|_| ()))
            }
            Op::Select(a, b) => {
                let (a, b) = (Node::new(&env, &a, "select branch"), Node::new(&env, &b, "select branch"));
                Box::new(select(a, b).map(|_| ()))
            }
            Op::Race(programs) if programs.is_empty() => return None,
            Op::Race(programs) => Box::new(race::<Node>(nodes(&programs, "race branch")).map(|_| ())),
            Op::WaitFor(millis, program) => {
                Box::new(wait_for(Node::new(&env, &program, "wait_for inner"), env.ms(millis)).map(|_| ()))
            }
            Op::Shield(i) => Box::new(shield(pick(&self.children, i)?.borrow_mut().take()?).map(|_| ())),
            Op::Detach(i) => {
                let detached = pick(&self.children, i)?.borrow_mut().take();
                drop(detached);
                return None;
            }
            Op::Cancel(k) => {
                let slot = pick(&env.tasks.borrow(), k)?;
                if let Some(task) = slot.borrow().as_ref() {
                    task.cancel();
                }
                return None;
            }
            Op::NewPromise => {
                env.promises.borrow_mut().push(Promise::new());
                return None;
            }
            Op::SetPromise(p) => {
                let promise = pick(&env.promises.borrow(), p)?;
                if !promise.done() {
                    promise.set_result(());
                }
                return None;
            }
            Op::CancelPromise(p) => {
                let promise = pick(&env.promises.borrow(), p)?;
                promise.cancel();
                return None;
            }
            Op::AwaitPromise(p) => {
                let promise = pick(&env.promises.borrow(), p)?;
                Box::new(promise.wait().map(|_| ()))
            }
            Op::Panic => inject_panic(&env),
            Op::OnCancelSpawn(program) => {
                self.on_cancel = Some(program);
                return None;
            }
        };
        Some(awaited)
    }
}

impl Coroutine for Node {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        assert!(!self.done, "a program was polled after it completed");
        loop {
            if let Some(waiting) = &mut self.waiting {
                if waiting.poll(cx).is_pending() {
                    return Poll::Pending;
                }
                self.waiting = None;
            }
            let Some(op) = self.ops.pop_front() else {
                self.done = true;
                return Poll::Ready(());
            };
            self.waiting = self.start(op);
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let Some(program) = self.on_cancel.take().filter(|_| !self.done) else { return };
        let env = self.guard.env.clone();
        let child = Node::new(&env, &program, "clean-up task");
        // A coroutine is dropped inside its loop (a step, `cancel_all`), where
        // `spawn` works. Should it be dropped outside any loop, it cannot
        // spawn: the child is dropped unspawned (a quiet failed `spawn`).
        QUIET.with(|quiet| quiet.set(true));
        let spawned = catch_unwind(AssertUnwindSafe(|| spawn(child)));
        QUIET.with(|quiet| quiet.set(false));
        if let Ok(task) = spawned {
            env.tasks.borrow_mut().push(Rc::new(RefCell::new(Some(task))));
        }
    }
}

fn millis() -> impl Strategy<Value = u8> {
    prop_oneof![1 => Just(0u8), 3 => 1..50u8]
}

fn simple_op() -> BoxedStrategy<Op> {
    prop_oneof![
        5 => millis().prop_map(Op::Sleep),
        3 => Just(Op::Yield),
        3 => any::<u8>().prop_map(Op::Await),
        2 => any::<u8>().prop_map(Op::Take),
        2 => any::<u8>().prop_map(Op::AwaitAny),
        1 => any::<u8>().prop_map(Op::Shield),
        1 => any::<u8>().prop_map(Op::Detach),
        3 => any::<u8>().prop_map(Op::Cancel),
        3 => Just(Op::NewPromise),
        1 => any::<u8>().prop_map(Op::SetPromise),
        1 => any::<u8>().prop_map(Op::CancelPromise),
        3 => any::<u8>().prop_map(Op::AwaitPromise),
        1 => Just(Op::Panic),
    ]
    .boxed()
}

/// Programs nested `depth` deep (children of children of ...), with
/// clean-ups that spawn (`OnCancelSpawn`) if `clean_ups`.
fn program(depth: u32, clean_ups: bool) -> BoxedStrategy<Vec<Op>> {
    if depth == 0 {
        return prop::collection::vec(simple_op(), 0..5).boxed();
    }
    let sub = program(depth - 1, clean_ups);
    let nested = prop_oneof![
        4 => sub.clone().prop_map(Op::Spawn),
        1 => (any::<bool>(), prop::collection::vec(sub.clone(), 1..4)).prop_map(|(s, ps)| Op::Gather(s, ps)),
        1 => (sub.clone(), sub.clone()).prop_map(|(a, b)| Op::Select(a, b)),
        1 => prop::collection::vec(sub.clone(), 1..4).prop_map(Op::Race),
        1 => (millis(), sub.clone()).prop_map(|(t, p)| Op::WaitFor(t, p)),
    ];
    let op = if clean_ups {
        prop_oneof![12 => simple_op(), 8 => nested, 2 => sub.prop_map(Op::OnCancelSpawn)].boxed()
    } else {
        prop_oneof![12 => simple_op(), 8 => nested].boxed()
    };
    prop::collection::vec(op, 0..7).boxed()
}

// ---------------------------------------------------------------------------
// Ending a loop, and what must hold after it
// ---------------------------------------------------------------------------

/// How the loop ends.
#[derive(Clone, Copy, Debug)]
enum Ending {
    /// `run_until_complete(main)`, then the loop is dropped.
    Complete,
    /// `run(main)` (asyncio.run): it cancels what is left and drops the loop.
    Run,
    /// `call_later(ms, stop)`, `spawn(main)`, `run_forever()`, then drop.
    StopAt(u16),
    /// A callback that re-queues itself this many times, then stops the
    /// loop: `spawn(main)`, `run_forever()`, then drop.
    StopAfter(u16),
    /// `spawn(main)`, and drop the loop without running it.
    NeverRun,
    /// Like `StopAt`, then the loop is dropped by a coroutine of another loop.
    DropInsideLoop(u16),
    /// `rondo::try_run(main)`: asyncio.run itself, on a new real-clock loop
    /// (with its watchdog thread).
    AsyncioRun,
}

impl Ending {
    fn real_clock(self) -> bool {
        matches!(self, Ending::AsyncioRun)
    }
}

fn ending(max_iterations: u16) -> impl Strategy<Value = Ending> {
    prop_oneof![
        4 => Just(Ending::Complete),
        3 => Just(Ending::Run),
        2 => (0..200u16).prop_map(Ending::StopAt),
        2 => (0..max_iterations).prop_map(Ending::StopAfter),
        1 => Just(Ending::NeverRun),
        2 => (0..200u16).prop_map(Ending::DropInsideLoop),
        1 => Just(Ending::AsyncioRun),
    ]
}

/// Stops the running loop after `iterations` more iterations.
fn stop_after(iterations: u16) {
    if iterations == 0 {
        rondo::stop();
    } else {
        rondo::call_soon(move || stop_after(iterations - 1));
    }
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Completed,
    MainPanicked,
    MainFailed,
    Deadlock,
    Stopped,
    NeverRan,
}

const OUTCOMES: usize = 6;

/// `Ok` of a run: `finished` (or `Stopped`); its errors; a panic out of it.
fn outcome_of(
    run: std::thread::Result<Result<(), LoopError>>,
    finished: Outcome,
) -> Result<Outcome, TestCaseError> {
    match run {
        Ok(Ok(())) => Ok(finished),
        Ok(Err(LoopError::Deadlock { .. })) => Ok(Outcome::Deadlock),
        Ok(Err(LoopError::StoppedBeforeComplete)) => Ok(Outcome::Stopped),
        Ok(Err(LoopError::Main(_))) => Ok(Outcome::MainFailed),
        Ok(Err(other)) => Err(TestCaseError::fail(format!("unexpected loop error: {other}"))),
        Err(payload) if payload.is::<Injected>() => Ok(Outcome::MainPanicked),
        // Main awaited a task another coroutine awaits already: refused.
        Err(payload) if describe_payload(&*payload).contains("is awaited by two coroutines at once") => {
            Ok(Outcome::MainPanicked)
        }
        Err(payload) => {
            Err(TestCaseError::fail(format!("a panic escaped the loop: {}", describe_payload(&*payload))))
        }
    }
}

/// Runs `main` on a new loop (virtual-clock, but for `AsyncioRun`), ends
/// the loop as `ending` says (inspecting it after `cancel_all` if
/// `inspect`), drops it, and checks what must hold then.
fn run_and_drop(
    env: &Rc<Env>,
    main: BoxCoroutine<'static, ()>,
    ending: Ending,
    inspect: bool,
) -> Result<Outcome, TestCaseError> {
    let ev = EventLoop::new_virtual();
    let mut main_task = None;
    let mut stop_timer = None;
    match ending {
        Ending::StopAt(t) | Ending::DropInsideLoop(t) => stop_timer = Some(ev.call_later(ms(t), rondo::stop)),
        Ending::StopAfter(n) => ev.call_soon(move || stop_after(n)),
        Ending::Complete | Ending::Run | Ending::NeverRun | Ending::AsyncioRun => {}
    }
    let (outcome, ev) = match ending {
        Ending::Complete => {
            let run = catch_unwind(AssertUnwindSafe(|| ev.run_until_complete(main)));
            (outcome_of(run, Outcome::Completed)?, Some(ev))
        }
        Ending::Run => {
            let run = catch_unwind(AssertUnwindSafe(move || ev.run(main)));
            (outcome_of(run, Outcome::Completed)?, None)
        }
        Ending::AsyncioRun => {
            drop(ev); // `try_run` makes its own
            let run = catch_unwind(AssertUnwindSafe(move || rondo::try_run(main)));
            (outcome_of(run, Outcome::Completed)?, None)
        }
        Ending::NeverRun => {
            main_task = Some(ev.spawn(main));
            (Outcome::NeverRan, Some(ev))
        }
        Ending::StopAt(_) | Ending::StopAfter(_) | Ending::DropInsideLoop(_) => {
            main_task = Some(ev.spawn(main));
            let run = catch_unwind(AssertUnwindSafe(|| ev.run_forever()));
            (outcome_of(run, Outcome::Stopped)?, Some(ev))
        }
    };
    let ev = match (ev, ending) {
        (Some(ev), Ending::DropInsideLoop(_)) => {
            // `Drop` takes its other branch: it cannot enter this loop while
            // another one runs.
            drop(ev.take_unobserved_failures());
            let outer = EventLoop::new_virtual();
            let dropped = outer.run_until_complete(rondo::lazy(move || drop(ev)));
            prop_assert!(dropped.is_ok(), "the loop that dropped the program's loop: {dropped:?}");
            drop(outer.take_unobserved_failures());
            drop(outer);
            None
        }
        (ev, _) => ev,
    };
    if let Some(ev) = ev {
        if inspect {
            if let Some(timer) = stop_timer.take() {
                timer.cancel(); // the test's own timer; it may have fired
            }
            ev.cancel_all();
            let left = ev.all_tasks();
            prop_assert!(left.is_empty(), "all_tasks() after cancel_all(): {left:?}");
            let shown = format!("{ev:?}");
            prop_assert!(
                ["tasks: 0", "ready: 0", "timers: 0"].iter().all(|empty| shown.contains(empty)),
                "after cancel_all() the loop still holds work: {shown}"
            );
            env.every_drop_ran_once("after cancel_all()")?;
            // Nothing left to run or to wait for: the loop deadlocks at once,
            // nobody stuck, and its clock does not move to a forgotten timer.
            let before = ev.now();
            let idle = catch_unwind(AssertUnwindSafe(|| ev.run_forever())).map_err(|p| {
                TestCaseError::fail(format!("run_forever panicked: {}", describe_payload(&*p)))
            })?;
            prop_assert_eq!(idle, Err(LoopError::Deadlock { stuck: vec![] }), "run_forever after cancel_all");
            prop_assert_eq!(ev.now(), before, "a timer was left after cancel_all: the clock moved to it");
        }
        // Read, so the loop does not report them on stderr as it drops (see
        // the allocator's comment on printing).
        drop(ev.take_unobserved_failures());
        drop(ev);
    }
    drop(stop_timer);
    env.every_drop_ran_once("after the loop was dropped")?;
    if let Some(main) = main_task {
        prop_assert!(main.done(), "main's handle says it is not done after its loop was dropped");
    }
    for (n, slot) in env.tasks.borrow().iter().enumerate() {
        if let Some(task) = slot.borrow().as_ref() {
            prop_assert!(task.done(), "task {n} of the program is not done after its loop was dropped");
        }
    }
    Ok(outcome)
}

/// Runs `case` in a measuring window: the properties of `run_and_drop`,
/// plus no unexpected panic and no memory left. `case` returns its outcome
/// and whether the loop may have printed (then older blocks may have grown:
/// the harness's capture buffer).
fn measured(case: impl FnOnce() -> Result<(Outcome, bool), TestCaseError>) -> Result<Outcome, TestCaseError> {
    UNEXPECTED.with(|u| u.borrow_mut().clear());
    let window = Window::open();
    let result = case();
    let leak = window.close();
    let unexpected = UNEXPECTED.with(|u| std::mem::take(&mut *u.borrow_mut()));
    prop_assert!(unexpected.is_empty(), "panics other than the injected ones: {unexpected:#?}");
    let (outcome, may_have_printed) = result?;
    prop_assert!(
        leak.blocks == 0 && leak.bytes == 0,
        "memory allocated while the case ran is still live after its loop and everything \
         the test held were dropped: {leak:?}"
    );
    if !may_have_printed {
        prop_assert_eq!(leak.older_growth, 0, "memory from before the case grew across it: {:?}", leak);
    }
    Ok(outcome)
}

/// A case: `make_main` builds main's coroutine in a fresh `Env`.
fn check(
    make_main: impl FnOnce(&Rc<Env>) -> BoxCoroutine<'static, ()>,
    ending: Ending,
    inspect: bool,
) -> Result<(Outcome, bool, Option<usize>), TestCaseError> {
    let env = Env::new(ending);
    REFUSED.with(|r| r.set(0));
    let outcome = run_and_drop(&env, make_main(&env), ending, inspect)?;
    // `run` and `try_run` drop their loop themselves, and the loop reports
    // the panics nobody awaited on stderr, growing the harness's capture
    // buffer. On the real clock, a step that a loaded machine slows past
    // 100 ms is reported too.
    // A refused misuse is a task's panic too, and it may go unawaited: the
    // loop reports it when it is dropped, whatever the ending.
    let may_have_printed = ending.real_clock()
        || (matches!(ending, Ending::Run) && env.panics.get() > 0)
        || REFUSED.with(Cell::get) > 0;
    let left_after_cancel = env.left_after_cancel.get();
    prop_assert_eq!(Rc::strong_count(&env), 1, "something still holds the program's Env");
    drop(env);
    Ok((outcome, may_have_printed, left_after_cancel))
}

/// [`check`] in a measuring window.
fn check_measured(
    make_main: impl FnOnce(&Rc<Env>) -> BoxCoroutine<'static, ()>,
    ending: Ending,
    inspect: bool,
) -> Result<(Outcome, Option<usize>), TestCaseError> {
    let left = Cell::new(None);
    let outcome = measured(|| {
        let (outcome, printed, left_after_cancel) = check(make_main, ending, inspect)?;
        left.set(left_after_cancel);
        Ok((outcome, printed))
    })?;
    Ok((outcome, left.get()))
}

const ENDINGS: [Ending; 8] = [
    Ending::Complete,
    Ending::Run,
    Ending::StopAt(7),
    Ending::StopAfter(5),
    Ending::NeverRun,
    Ending::StopAt(0),
    Ending::DropInsideLoop(3),
    Ending::AsyncioRun,
];

/// Two fixed programs: one with every op, one that deadlocks with a
/// detached panicked task left. Run with every ending before the random ones.
fn fixed_programs() -> [Vec<Op>; 2] {
    let everything = vec![
        Op::NewPromise,
        Op::Spawn(vec![Op::AwaitPromise(0), Op::Panic]),
        Op::Spawn(vec![Op::Sleep(5), Op::SetPromise(0)]),
        Op::Gather(false, vec![vec![Op::Yield], vec![Op::Panic]]),
        Op::Gather(true, vec![vec![Op::Sleep(1)]]),
        Op::Select(vec![Op::Sleep(3)], vec![Op::Yield]),
        Op::Race(vec![vec![Op::Sleep(1)], vec![Op::Sleep(2)]]),
        Op::WaitFor(1, vec![Op::Sleep(5)]),
        Op::Spawn(vec![Op::Sleep(2)]),
        Op::Shield(2),
        Op::Spawn(vec![Op::Sleep(50)]),
        Op::Take(3),
        Op::Await(0),
        Op::AwaitAny(0),
        Op::Detach(1),
        Op::Cancel(0),
        Op::CancelPromise(0),
        Op::Spawn(vec![Op::Panic]),
        Op::Spawn(vec![Op::NewPromise, Op::AwaitPromise(1)]),
        Op::Yield,
        Op::Panic,
    ];
    let deadlock = vec![Op::NewPromise, Op::Spawn(vec![Op::Panic]), Op::Yield, Op::AwaitPromise(0)];
    [everything, deadlock]
}

/// Installs the panic hook, and runs a little of everything once on this
/// thread, unmeasured: what rondo, std and the harness make lazily on first
/// use (thread-locals, the registry of this thread's loops, the capture
/// buffer — the `Run` endings report their unobserved panics) is made
/// before the first measurement.
fn prepare() {
    // rondo installs its own hook (naming the task that panicked) with the
    // first loop; ours goes on top of it, so that it sees every panic first.
    drop(EventLoop::new_virtual());
    install_panic_hook();
    for program in fixed_programs() {
        for ending in ENDINGS {
            for inspect in [false, true] {
                let main = |env: &Rc<Env>| -> BoxCoroutine<'static, ()> {
                    Box::new(Node::new(env, &program, "main"))
                };
                let _ = check(main, ending, inspect);
                let chain = ChainCase {
                    links: 20,
                    owned_every: 2,
                    leaf: Leaf::Never,
                    at_ms: 3,
                    cancel: Some(Target::Middle(500)),
                    then: Then::AwaitLast,
                    ending,
                    inspect,
                };
                let _ = check(|env| chain_main(env, &chain), ending, inspect);
                let cycle = CycleCase {
                    members: 3,
                    owned_every: 2,
                    at_ms: 3,
                    cancel: Some(1),
                    outsider: Some(0),
                    then: Then::AwaitLast,
                    ending,
                    inspect,
                };
                let _ = check(|env| cycle_main(env, &cycle), ending, inspect);
            }
        }
    }
    UNEXPECTED.with(|u| u.borrow_mut().clear());
}

/// How many cases ended each way.
#[derive(Default)]
struct Tally([Cell<u32>; OUTCOMES]);

impl Tally {
    fn count(&self, outcome: Outcome) {
        let cell = &self.0[outcome as usize];
        cell.set(cell.get() + 1);
    }

    fn get(&self, outcome: Outcome) -> u32 {
        self.0[outcome as usize].get()
    }
}

#[derive(Clone, Debug)]
struct ProgramCase {
    main: Vec<Op>,
    ending: Ending,
    inspect: bool,
}

#[test]
fn random_programs_drop_every_coroutine_once_and_leave_nothing_behind() {
    prepare();
    let cases = (program(3, false), ending(80), any::<bool>())
        .prop_map(|(main, ending, inspect)| ProgramCase { main, ending, inspect });
    for program in fixed_programs() {
        for ending in ENDINGS {
            for inspect in [false, true] {
                let case = ProgramCase { main: program.clone(), ending, inspect };
                let make_main = |env: &Rc<Env>| -> BoxCoroutine<'static, ()> {
                    Box::new(Node::new(env, &case.main, "main"))
                };
                if let Err(error) = check_measured(make_main, ending, inspect) {
                    panic!("{error}\n{case:#?}");
                }
            }
        }
    }
    let tally = Tally::default();
    // Cases whose loop was left to `Drop` to clean up, mid-way.
    let dropped_mid_way = Cell::new(0u32);
    let mut runner = TestRunner::new(config(512));
    let result = runner.run(&cases, |case| {
        let make_main =
            |env: &Rc<Env>| -> BoxCoroutine<'static, ()> { Box::new(Node::new(env, &case.main, "main")) };
        let (outcome, _) = check_measured(make_main, case.ending, case.inspect)?;
        tally.count(outcome);
        if !case.inspect && outcome != Outcome::Completed {
            dropped_mid_way.set(dropped_mid_way.get() + 1);
        }
        Ok(())
    });
    unwrap_run(result);
    // The generator reaches every way of ending (each is likelier than 1 in 20).
    for outcome in
        [Outcome::Completed, Outcome::MainPanicked, Outcome::Deadlock, Outcome::Stopped, Outcome::NeverRan]
    {
        assert!(tally.get(outcome) > 0, "no case ended as {outcome:?}");
    }
    assert!(dropped_mid_way.get() > 0, "no loop was left to its `Drop` mid-way");
}

#[test]
fn clean_ups_that_spawn_are_cancelled_with_the_rest() {
    // The same programs, and a coroutine's `Drop` may spawn a task. Dropping
    // a coroutine *is* its cancellation, and `cancel_all` runs the drops
    // inside the loop, where spawning works — so a clean-up may spawn while
    // the loop is cancelling everything, or being dropped. Those tasks are
    // the loop's too: the same properties hold for them.
    prepare();
    let cases = (program(3, true), ending(80), any::<bool>())
        .prop_map(|(main, ending, inspect)| ProgramCase { main, ending, inspect });
    let mut runner = TestRunner::new(config(256));
    unwrap_run(runner.run(&cases, |case| {
        let make_main =
            |env: &Rc<Env>| -> BoxCoroutine<'static, ()> { Box::new(Node::new(env, &case.main, "main")) };
        check_measured(make_main, case.ending, case.inspect).map(drop)
    }));
}

// ---------------------------------------------------------------------------
// Chains thousands deep, and await cycles
// ---------------------------------------------------------------------------

/// A step of a [`Steps`] coroutine: does something, and may return a coroutine to await.
type Step = Box<dyn FnOnce() -> Option<BoxCoroutine<'static, ()>>>;

/// A coroutine that runs its steps in order, awaiting what each returns.
struct Steps {
    steps: VecDeque<Step>,
    waiting: Option<BoxCoroutine<'static, ()>>,
}

impl Coroutine for Steps {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            if let Some(waiting) = &mut self.waiting {
                if waiting.poll(cx).is_pending() {
                    return Poll::Pending;
                }
                self.waiting = None;
            }
            let Some(step) = self.steps.pop_front() else { return Poll::Ready(()) };
            self.waiting = step();
        }
    }
}

fn sleep_step(env: &Env, millis: u16) -> Step {
    let duration = env.ms(millis);
    Box::new(move || Some(Box::new(sleep(duration))))
}

/// What main does once it has checked the cancellation.
#[derive(Clone, Copy, Debug)]
enum Then {
    /// Await the last task it spawned (the chain's head; the cycle's last
    /// member), through its slot.
    AwaitLast,
    Sleep(u16),
    Return,
}

fn then() -> impl Strategy<Value = Then> {
    prop_oneof![Just(Then::AwaitLast), (0..100u16).prop_map(Then::Sleep), Just(Then::Return)]
}

/// The steps main takes after spawning: sleep `at_ms`, then `event` (which
/// says whether a cancellation reached a member of `kind`); if it did, sleep
/// 1 ms and record how many members have not ended; then `then`. (Only on
/// the virtual clock, which does not move while anything is ready: on the
/// real one the 1 ms may pass while the cancellation is still on its way.)
fn after_spawning(
    env: &Rc<Env>,
    kind: &'static str,
    at_ms: u16,
    event: impl FnOnce() -> bool + 'static,
    then: Then,
    last: impl FnOnce() -> Option<Slot> + 'static,
) -> Vec<Step> {
    let hit = Rc::new(Cell::new(false));
    let (h, e) = (hit.clone(), env.clone());
    let mut steps: Vec<Step> = vec![
        sleep_step(env, at_ms),
        Box::new(move || {
            h.set(event());
            None
        }),
        sleep_step(env, 1),
        Box::new(move || {
            if hit.get() && e.on_virtual_clock() {
                e.left_after_cancel.set(Some(e.undropped(kind)));
            }
            None
        }),
    ];
    match then {
        Then::AwaitLast => steps.push(Box::new(move || {
            let slot = last()?;
            Some(Box::new(await_slot(slot)))
        })),
        Then::Sleep(millis) => steps.push(sleep_step(env, millis)),
        Then::Return => {}
    }
    steps
}

/// Member `i` of a chain or cycle owns the handle it awaits if `owned_every`
/// divides `i` (0: none does); otherwise it polls it through its slot.
fn member_awaits(owned_every: u8, i: usize, slot: Slot) -> BoxCoroutine<'static, ()> {
    if owned_every != 0 && i.is_multiple_of(usize::from(owned_every)) {
        Box::new(await_owned(slot))
    } else {
        Box::new(await_slot(slot))
    }
}

/// What the task at the end of a chain does.
#[derive(Clone, Copy, Debug)]
enum Leaf {
    Sleep(u16),
    /// Awaits a promise nobody sets.
    Never,
    /// Awaits a promise main sets at `at_ms`.
    SetByMain,
    /// Panics after this many ms.
    PanicAfter(u16),
}

/// Which link main cancels.
#[derive(Clone, Copy, Debug)]
enum Target {
    /// The last spawned, awaited by nobody (or by main).
    Head,
    /// The first spawned, the leaf.
    Tail,
    /// At this many thousandths of the way from the tail.
    Middle(u16),
}

#[derive(Clone, Debug)]
struct ChainCase {
    /// Tasks in the chain, the leaf included.
    links: usize,
    owned_every: u8,
    leaf: Leaf,
    at_ms: u16,
    cancel: Option<Target>,
    then: Then,
    ending: Ending,
    inspect: bool,
}

/// Main of a chain: spawns the leaf, then `links - 1` tasks each awaiting
/// the one before; at `at_ms` sets the leaf's promise or cancels the target.
fn chain_main(env: &Rc<Env>, case: &ChainCase) -> BoxCoroutine<'static, ()> {
    let slots: Rc<RefCell<Vec<Slot>>> = Rc::default();
    let promise: Promise<()> = Promise::new();
    let spawn_all: Step = {
        let (env, slots, promise, case) = (env.clone(), slots.clone(), promise.clone(), case.clone());
        Box::new(move || {
            let leaf: BoxCoroutine<'static, ()> = match case.leaf {
                Leaf::Sleep(millis) => Box::new(sleep(env.ms(millis))),
                Leaf::Never | Leaf::SetByMain => Box::new(promise.wait().map(|_| ())),
                Leaf::PanicAfter(millis) => {
                    let e = env.clone();
                    Box::new(
                        sleep(env.ms(millis))
                            .then(move |()| poll_fn(move |_| -> Poll<()> { inject_panic(&e) })),
                    )
                }
            };
            let mut slots = slots.borrow_mut();
            slots.push(env.spawn(Guarded::new(&env, "chain link", leaf)));
            for i in 1..case.links {
                let awaits = member_awaits(case.owned_every, i, slots[i - 1].clone());
                slots.push(env.spawn(Guarded::new(&env, "chain link", awaits)));
            }
            None
        })
    };
    let event = {
        let (slots, case) = (slots.clone(), case.clone());
        move || {
            if matches!(case.leaf, Leaf::SetByMain) {
                promise.set_result(());
            }
            let slots = slots.borrow();
            let target = case.cancel.map(|target| match target {
                Target::Head => slots.len() - 1,
                Target::Tail => 0,
                Target::Middle(permille) => (usize::from(permille) * slots.len() / 1000).min(slots.len() - 1),
            });
            target.and_then(|k| slots[k].borrow().as_ref().map(Task::cancel)).unwrap_or(false)
        }
    };
    let last = move || slots.borrow().last().cloned();
    let mut steps = vec![spawn_all];
    steps.extend(after_spawning(env, "chain link", case.at_ms, event, case.then, last));
    Box::new(Guarded::new(env, "main", Steps { steps: steps.into(), waiting: None }))
}

fn leaf() -> impl Strategy<Value = Leaf> {
    prop_oneof![
        (0..200u16).prop_map(Leaf::Sleep),
        Just(Leaf::Never),
        Just(Leaf::SetByMain),
        (0..200u16).prop_map(Leaf::PanicAfter),
    ]
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![Just(Target::Head), Just(Target::Tail), (0..1000u16).prop_map(Target::Middle)]
}

/// The runner's result as a panic, with the case.
fn unwrap_run<T: fmt::Debug>(result: Result<(), proptest::test_runner::TestError<T>>) {
    if let Err(error) = result {
        panic!("{error}");
    }
}

/// A cancellation that reached a member left none running.
fn all_ended_after_cancel(left: Option<usize>, what: &str) -> Result<(), TestCaseError> {
    if let Some(left) = left {
        prop_assert_eq!(left, 0, "{} {} had not ended when main woke up after cancelling one", left, what);
    }
    Ok(())
}

#[test]
fn chains_thousands_deep_drop_every_coroutine_once_and_leave_nothing_behind() {
    prepare();
    let links = prop_oneof![1 => 1..10usize, 4 => 2_000..5_000usize];
    let cases = (
        links,
        0..4u8,
        leaf(),
        1..100u16,
        prop::option::weighted(0.8, target()),
        then(),
        ending(10_000),
        any::<bool>(),
    )
        .prop_map(|(links, owned_every, leaf, at_ms, cancel, then, ending, inspect)| ChainCase {
            links,
            owned_every,
            leaf,
            at_ms,
            cancel,
            then,
            ending,
            inspect,
        });
    // First, each target of a 5,000-deep chain, awaited through slots and
    // through owned handles (then only the head can be reached to cancel).
    for owned_every in [0, 1] {
        for cancel in [Target::Head, Target::Middle(500), Target::Tail] {
            let case = ChainCase {
                links: 5_000,
                owned_every,
                leaf: Leaf::Never,
                at_ms: 1,
                cancel: Some(cancel),
                then: Then::AwaitLast,
                ending: Ending::Complete,
                inspect: true,
            };
            // Through slots every target is in reach; through owned handles only the head.
            let reachable = owned_every == 0 || matches!(cancel, Target::Head);
            let checked = check_measured(|env| chain_main(env, &case), case.ending, case.inspect).and_then(
                |(_, left)| {
                    prop_assert_eq!(left.is_some(), reachable, "did the cancellation reach the chain?");
                    all_ended_after_cancel(left, "links")
                },
            );
            if let Err(error) = checked {
                panic!("{error}\n{case:#?}");
            }
        }
    }
    let mut runner = TestRunner::new(config(32));
    unwrap_run(runner.run(&cases, |case| {
        let (_, left) = check_measured(|env| chain_main(env, &case), case.ending, case.inspect)?;
        all_ended_after_cancel(left, "links")
    }));
}

#[derive(Clone, Debug)]
struct CycleCase {
    /// Tasks in the ring: member `i` awaits member `i + 1`, the last awaits the first.
    members: usize,
    owned_every: u8,
    at_ms: u16,
    /// The member main cancels at `at_ms` (modulo the ring's size).
    cancel: Option<u16>,
    /// A task outside the ring awaiting this member (modulo the size).
    outsider: Option<u16>,
    then: Then,
    ending: Ending,
    inspect: bool,
}

/// Main of a cycle: fills a ring of slots with members each awaiting the
/// next, maybe an outsider awaiting one; at `at_ms` cancels a member.
fn cycle_main(env: &Rc<Env>, case: &CycleCase) -> BoxCoroutine<'static, ()> {
    let slots: Rc<Vec<Slot>> = Rc::new((0..case.members).map(|_| Slot::default()).collect());
    let spawn_all: Step = {
        let (env, slots, case) = (env.clone(), slots.clone(), case.clone());
        Box::new(move || {
            for (i, slot) in slots.iter().enumerate() {
                let next = slots[(i + 1) % slots.len()].clone();
                let member = Guarded::new(&env, "cycle member", member_awaits(case.owned_every, i, next));
                *slot.borrow_mut() = Some(spawn(member));
                env.tasks.borrow_mut().push(slot.clone());
            }
            if let Some(m) = case.outsider {
                let awaited = slots[usize::from(m) % slots.len()].clone();
                env.spawn(Guarded::new(&env, "outsider", await_slot(awaited)));
            }
            None
        })
    };
    let event = {
        let (slots, case) = (slots.clone(), case.clone());
        move || {
            let target = case.cancel.map(|j| &slots[usize::from(j) % slots.len()]);
            // Only a ring nobody else awaits must end entirely.
            let hit = target.and_then(|slot| slot.borrow().as_ref().map(Task::cancel)).unwrap_or(false);
            hit && case.outsider.is_none()
        }
    };
    let last = move || slots.last().cloned();
    let mut steps = vec![spawn_all];
    steps.extend(after_spawning(env, "cycle member", case.at_ms, event, case.then, last));
    Box::new(Guarded::new(env, "main", Steps { steps: steps.into(), waiting: None }))
}

#[test]
fn await_cycles_drop_every_coroutine_once_and_leave_nothing_behind() {
    prepare();
    let members = prop_oneof![6 => 1..7usize, 1 => 1_000..3_000usize];
    let cases =
        (
            members,
            0..4u8,
            1..100u16,
            prop::option::weighted(0.7, any::<u16>()),
            prop::option::weighted(0.3, any::<u16>()),
            then(),
            ending(5_000),
            any::<bool>(),
        )
            .prop_map(|(members, owned_every, at_ms, cancel, outsider, then, ending, inspect)| {
                CycleCase { members, owned_every, at_ms, cancel, outsider, then, ending, inspect }
            });
    // First, rings of 1, 2, 3 and 2,000 members, each way of awaiting,
    // one member cancelled.
    for members in [1, 2, 3, 2_000] {
        for owned_every in [0, 1, 2] {
            let case = CycleCase {
                members,
                owned_every,
                at_ms: 1,
                cancel: Some(0),
                outsider: None,
                then: Then::Return,
                ending: Ending::Complete,
                inspect: true,
            };
            // Member 0's handle stays in its slot unless the last member owns it.
            let reachable = owned_every == 0 || !(members - 1).is_multiple_of(usize::from(owned_every));
            let checked = check_measured(|env| cycle_main(env, &case), case.ending, case.inspect).and_then(
                |(_, left)| {
                    prop_assert_eq!(left.is_some(), reachable, "did the cancellation reach the ring?");
                    all_ended_after_cancel(left, "members")
                },
            );
            if let Err(error) = checked {
                panic!("{error}\n{case:#?}");
            }
        }
    }
    let mut runner = TestRunner::new(config(128));
    unwrap_run(runner.run(&cases, |case| {
        let (_, left) = check_measured(|env| cycle_main(env, &case), case.ending, case.inspect)?;
        all_ended_after_cancel(left, "members")
    }));
}
