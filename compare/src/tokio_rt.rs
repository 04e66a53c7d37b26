//! tokio, single-threaded: a current-thread runtime with its time driver, and
//! a `LocalSet` so tasks are `spawn_local`ed (no `Send` needed, like rondo's).
//! Timers: `tokio::time::sleep` (a hierarchical wheel, 1 ms resolution).
//! Channel: `tokio::sync::mpsc::channel(1)`.
//! Lock: `tokio::sync::Mutex` (fair: a FIFO of waiters, like asyncio's Lock).

use crate::workloads::{LocalRuntime, YieldNow};
use std::future::Future;
use std::time::Duration;
use tokio::runtime::{Builder, Runtime};
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, LocalSet};

pub struct Tokio {
    rt: Runtime,
    local: LocalSet,
}

impl LocalRuntime for Tokio {
    type Spawner = ();
    type Handle<T: 'static> = JoinHandle<T>;
    type Sender = mpsc::Sender<u64>;
    type Receiver = mpsc::Receiver<u64>;

    fn new() -> Self {
        let rt = Builder::new_current_thread().enable_time().build().expect("a tokio runtime");
        Tokio { rt, local: LocalSet::new() }
    }

    fn spawner(&self) {}

    fn block_on<F: Future + 'static>(&mut self, main: F) -> F::Output {
        self.local.block_on(&self.rt, main)
    }

    fn spawn<F>(_: &(), task: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        tokio::task::spawn_local(task)
    }

    async fn join<T: 'static>(handle: JoinHandle<T>) -> T {
        handle.await.expect("a tokio task")
    }

    /// `async`: the sleep (and its deadline) is made at its first poll.
    async fn sleep(duration: Duration) {
        tokio::time::sleep(duration).await
    }

    fn channel() -> (Self::Sender, Self::Receiver) {
        mpsc::channel(1)
    }

    async fn send(tx: &mut Self::Sender, value: u64) {
        tx.send(value).await.expect("the receiver is alive")
    }

    async fn recv(rx: &mut Self::Receiver) -> Option<u64> {
        rx.recv().await
    }

    type Mutex = tokio::sync::Mutex<()>;

    fn mutex() -> Self::Mutex {
        tokio::sync::Mutex::new(())
    }

    async fn locked_yield(m: &Self::Mutex) {
        let _guard = m.lock().await;
        YieldNow::default().await;
    }

    fn to_thread<T: Send + 'static>(
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Option<impl Future<Output = T> + 'static> {
        let job = tokio::task::spawn_blocking(f);
        Some(async move { job.await.expect("a blocking job") })
    }
}
