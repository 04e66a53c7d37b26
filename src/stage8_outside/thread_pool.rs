//! A pool of std threads for blocking work: asyncio's default executor.
//!
//! A blocking call — `std::thread::sleep`, a file read, a C library, a DNS
//! lookup — freezes the loop and every task on it (stage 6's detector names
//! it). The cure asyncio offers is `loop.run_in_executor(None, f)`: `f` runs
//! on a thread of a `ThreadPoolExecutor`, and the loop goes on.
//!
//! Like CPython's `ThreadPoolExecutor`, the pool starts threads only when a
//! job finds none idle, up to `min(32, cpus + 4)` by default, and keeps them
//! until the pool goes. Jobs wait in one FIFO under a mutex; an idle thread
//! sleeps on a condition variable. A job that panics is caught on its
//! thread: the thread lives on, and the panic reaches whoever submitted the
//! job (the awaiting task).
//!
//! When the last handle to the pool is dropped (the loop went, for its
//! default pool), jobs not yet started are dropped — CPython's
//! `shutdown(cancel_futures=True)` — and running ones finish on their
//! threads, which then exit. Nothing waits for them: a job blocked for ever
//! must not hang the program's exit. (`asyncio.run` waits for its executor,
//! up to a timeout; a Rust program's `main` returning ends all threads.)
//!
//! Rejected alternative: a thread per job. It is simpler and as fast for a
//! few jobs, but 500 blocking requests would start 500 threads, each with its
//! own stack — what seed 002's table measures (see `threads_vs_rondo`).

use std::collections::VecDeque;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

type Job = Box<dyn FnOnce() + Send>;

/// A pool of threads that run blocking jobs (asyncio: `ThreadPoolExecutor`).
///
/// A `Clone` handle: clones share the pool; the threads exit once the last
/// handle is dropped and their jobs are done. Give one to
/// [`run_in_executor`](crate::run_in_executor); [`to_thread`](crate::to_thread)
/// uses the loop's default pool.
///
/// ```
/// use rondo::{EventLoop, ThreadPool, run_in_executor};
///
/// let pool = ThreadPool::new(2);
/// let ev = EventLoop::new_virtual();
/// let sum = ev.run(run_in_executor(&pool, || (1..=100u64).sum::<u64>())).unwrap();
/// assert_eq!(sum, 5050);
/// assert_eq!(pool.threads_started(), 1, "one job: one thread");
/// ```
#[derive(Clone)]
pub struct ThreadPool {
    handle: Arc<Handle>,
}

/// The users' share of the pool: when the last one goes, the pool shuts
/// down. (The threads hold `Shared` directly, so they do not keep it open.)
struct Handle(Arc<Shared>);

/// Lives as long as the last handle or thread.
struct Shared {
    state: Mutex<State>,
    /// Signalled when a job arrives or the pool shuts down.
    work: Condvar,
    max_threads: usize,
    /// What the threads are called: `rondo-pool-1`, … (a panic message names the thread).
    name: String,
}

struct State {
    jobs: VecDeque<Job>,
    /// Threads running (started and not exited).
    threads: usize,
    /// Threads started, ever.
    started: usize,
    /// Threads waiting for a job.
    idle: usize,
    /// The last handle is gone: queued jobs were dropped; threads exit.
    shut_down: bool,
}

impl ThreadPool {
    /// A pool of at most `max_threads` threads (at least one).
    pub fn new(max_threads: usize) -> ThreadPool {
        ThreadPool::named(max_threads, "rondo-pool")
    }

    /// asyncio's default size: `min(32, cpus + 4)` — "at least 5 workers
    /// for I/O bound tasks", CPython's comment says, and at most 32.
    pub fn default_size() -> usize {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        (cpus + 4).min(32)
    }

    pub(crate) fn named(max_threads: usize, name: &str) -> ThreadPool {
        let state = State { jobs: VecDeque::new(), threads: 0, started: 0, idle: 0, shut_down: false };
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            work: Condvar::new(),
            max_threads: max_threads.max(1),
            name: name.to_string(),
        });
        ThreadPool { handle: Arc::new(Handle(shared)) }
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.handle.0
    }

    /// The most threads it will start.
    pub fn max_threads(&self) -> usize {
        self.shared().max_threads
    }

    /// How many threads it has started so far.
    pub fn threads_started(&self) -> usize {
        self.shared().lock().started
    }

    /// Queues `job`; starts a thread if none is idle and the pool is not full.
    ///
    /// # Errors
    /// The OS refused a new thread and the pool has no thread to run the job.
    pub(crate) fn submit(&self, job: Job) -> io::Result<()> {
        let shared = self.shared();
        let mut state = shared.lock();
        state.jobs.push_back(job);
        // An idle thread for every queued job, this one included: wake one.
        if state.idle >= state.jobs.len() {
            drop(state);
            shared.work.notify_one();
            return Ok(());
        }
        if state.threads >= shared.max_threads {
            return Ok(()); // all busy: it waits its turn
        }
        state.threads += 1;
        state.started += 1;
        let number = state.started;
        drop(state);
        let worker = shared.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("{}-{number}", shared.name))
            .spawn(move || worker.work_until_shut_down());
        if let Err(error) = spawned {
            let mut state = shared.lock();
            state.threads -= 1;
            if state.threads == 0 {
                state.jobs.pop_back(); // nobody would ever run it
                return Err(error);
            }
        }
        Ok(())
    }
}

impl Shared {
    /// A panicking job is caught outside the lock, so the mutex is never
    /// poisoned by one; should it be anyway, the state is still consistent
    /// (counters and a queue, each updated in one statement).
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A pool thread's life: take a job, run it, until the pool shuts down.
    fn work_until_shut_down(&self) {
        let mut state = self.lock();
        loop {
            if let Some(job) = state.jobs.pop_front() {
                drop(state);
                // The job reports its own panic to its submitter (`to_thread`
                // wraps `f`); this catch only keeps the thread alive.
                let _ = catch_unwind(AssertUnwindSafe(job));
                state = self.lock();
            } else if state.shut_down {
                state.threads -= 1;
                return;
            } else {
                state.idle += 1;
                state = self.work.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
                state.idle -= 1;
            }
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        let dropped = {
            let mut state = self.0.lock();
            state.shut_down = true;
            std::mem::take(&mut state.jobs)
        };
        self.0.work.notify_all();
        drop(dropped); // outside the lock: a job's captures may do anything in Drop
    }
}

impl std::fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.shared().lock();
        f.debug_struct("ThreadPool")
            .field("max_threads", &self.shared().max_threads)
            .field("threads", &state.threads)
            .field("idle", &state.idle)
            .field("queued", &state.jobs.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn threads_start_on_demand_up_to_the_limit_and_are_reused() {
        let pool = ThreadPool::new(3);
        let (tx, rx) = mpsc::channel();
        // Ten jobs that each wait for a go: three threads take three, the rest queue.
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        for i in 0..10 {
            let (tx, gate) = (tx.clone(), gate.clone());
            pool.submit(Box::new(move || {
                let (open, cv) = &*gate;
                let mut open = open.lock().unwrap();
                while !*open {
                    open = cv.wait(open).unwrap();
                }
                tx.send((i, std::thread::current().name().unwrap().to_string())).unwrap();
            }))
            .unwrap();
        }
        assert_eq!(pool.threads_started(), 3);
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
        let mut done: Vec<(i32, String)> =
            (0..10).map(|_| rx.recv_timeout(Duration::from_secs(10)).unwrap()).collect();
        done.sort();
        assert_eq!(done.iter().map(|(i, _)| *i).collect::<Vec<_>>(), (0..10).collect::<Vec<_>>());
        assert!(done.iter().all(|(_, name)| name.starts_with("rondo-pool-")));
        assert_eq!(pool.threads_started(), 3, "reused, never more than the limit");
    }

    #[test]
    fn a_panicking_job_leaves_the_pool_working() {
        let pool = ThreadPool::new(1);
        for _ in 0..3 {
            pool.submit(Box::new(|| panic!("a job fails (expected in this test)"))).unwrap();
        }
        let (tx, rx) = mpsc::channel();
        pool.submit(Box::new(move || tx.send(42).unwrap())).unwrap();
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(42));
        assert_eq!(pool.threads_started(), 1, "the same thread survived three panics");
    }

    #[test]
    fn dropping_the_pool_drops_queued_jobs_and_lets_running_ones_finish() {
        let pool = ThreadPool::new(1);
        let (started_tx, started_rx) = mpsc::channel();
        let (finish_tx, finish_rx) = mpsc::channel::<()>();
        let (done_tx, done_rx) = mpsc::channel();
        pool.submit(Box::new(move || {
            started_tx.send(()).unwrap();
            finish_rx.recv().unwrap();
            done_tx.send("finished").unwrap();
        }))
        .unwrap();
        let (queued_tx, queued_rx) = mpsc::channel::<()>();
        pool.submit(Box::new(move || queued_tx.send(()).unwrap())).unwrap();
        started_rx.recv().unwrap();
        drop(pool); // the queued job is dropped: its sender with it
        assert_eq!(
            queued_rx.recv_timeout(Duration::from_secs(10)),
            Err(mpsc::RecvTimeoutError::Disconnected)
        );
        finish_tx.send(()).unwrap();
        assert_eq!(done_rx.recv_timeout(Duration::from_secs(10)), Ok("finished"));
    }

    #[test]
    fn the_default_size_is_asyncios() {
        let cpus = std::thread::available_parallelism().unwrap().get();
        assert_eq!(ThreadPool::default_size(), (cpus + 4).min(32));
        assert_eq!(ThreadPool::new(0).max_threads(), 1);
    }
}
