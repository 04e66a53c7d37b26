//! rondo through stage 9's bridge: the same generic `async` workloads the
//! tokio, smol and futures columns run, on rondo's loop. Every spawned future
//! becomes a task with `spawn(from_future(..))`; every rondo primitive is
//! awaited as it is (`.await`: rondo's coroutines are `IntoFuture`), or
//! handed over as `.into_future()` where the trait wants a `Future`. The
//! hand-written column (`rondo`, module `rondo_rt`) stays beside it: the
//! difference between the two columns is what the bridge costs (a std `Waker` per task, a `CoroutineFuture` around
//! each awaited coroutine).
//!
//! Timers: rondo's `sleep` (its own heap; deadline at first poll). Channel:
//! a `Queue` of maxsize 1. Lock: `Lock` (fair, FIFO). Pool: `to_thread`.

use crate::workloads::{LocalRuntime, YieldNow};
use rondo::{EventLoop, Lock, Queue, Task, from_future, sleep, spawn, to_thread};
use std::future::Future;
use std::time::Duration;

pub struct RondoAsync {
    ev: EventLoop,
}

/// The sending side of a ping-pong queue. rondo's `Queue` is one object
/// shared by both sides, so dropping a clone closes nothing; the other
/// columns' loops end when their sender is dropped, so this one shuts the
/// queue down on drop (what the hand-written `Ping` does by hand).
pub struct QueueSender(Queue<u64>);

impl Drop for QueueSender {
    fn drop(&mut self) {
        self.0.shutdown(false); // gets drain what is left, then fail
    }
}

impl LocalRuntime for RondoAsync {
    type Spawner = ();
    type Handle<T: 'static> = Task<T>;
    type Sender = QueueSender;
    type Receiver = Queue<u64>;

    fn new() -> Self {
        RondoAsync { ev: EventLoop::new() }
    }

    fn spawner(&self) {}

    fn block_on<F: Future + 'static>(&mut self, main: F) -> F::Output {
        self.ev.run_until_complete(from_future(main)).expect("main finishes")
    }

    fn spawn<F>(_: &(), task: F) -> Task<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        spawn(from_future(task))
    }

    async fn join<T: 'static>(handle: Task<T>) -> T {
        handle.await.expect("a rondo task")
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + 'static {
        // `sleep` takes its deadline at its first poll: no `async` needed.
        sleep(duration).into_future()
    }

    fn channel() -> (Self::Sender, Self::Receiver) {
        let queue = Queue::new(1);
        (QueueSender(queue.clone()), queue)
    }

    async fn send(tx: &mut Self::Sender, value: u64) {
        tx.0.put(value).await.expect("the queue is open")
    }

    async fn recv(rx: &mut Self::Receiver) -> Option<u64> {
        rx.get().await.ok()
    }

    type Mutex = Lock;

    fn mutex() -> Lock {
        Lock::new()
    }

    async fn locked_yield(m: &Lock) {
        let _guard = m.acquire().await;
        YieldNow::default().await;
    }

    fn to_thread<T: Send + 'static>(
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Option<impl Future<Output = T> + 'static> {
        Some(to_thread(f).into_future())
    }
}
