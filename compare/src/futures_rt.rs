//! futures' `LocalPool`: the smallest single-threaded executor of the
//! ecosystem. It has no timers of its own, so sleeps use `smol::Timer`
//! (async-io), driven by async-io's helper thread while the pool's thread
//! parks — a cross-thread wake per timer batch, which is what a LocalPool
//! user gets. Join handles are `RemoteHandle`s (a oneshot channel per task),
//! the pool's only way to get a task's result. Channel:
//! `futures::channel::mpsc::channel(0)` (capacity 1 for the one sender).
//! Lock: `futures::lock::Mutex` (futures-util; not fair).

use crate::workloads::{LocalRuntime, YieldNow};
use futures::channel::mpsc;
use futures::executor::{LocalPool, LocalSpawner};
use futures::future::RemoteHandle;
use futures::task::LocalSpawnExt;
use futures::{SinkExt, StreamExt};
use std::future::Future;
use std::time::Duration;

pub struct Futures {
    pool: LocalPool,
}

impl LocalRuntime for Futures {
    type Spawner = LocalSpawner;
    type Handle<T: 'static> = RemoteHandle<T>;
    type Sender = mpsc::Sender<u64>;
    type Receiver = mpsc::Receiver<u64>;

    fn new() -> Self {
        Futures { pool: LocalPool::new() }
    }

    fn spawner(&self) -> LocalSpawner {
        self.pool.spawner()
    }

    fn block_on<F: Future + 'static>(&mut self, main: F) -> F::Output {
        self.pool.run_until(main)
    }

    fn spawn<F>(spawner: &LocalSpawner, task: F) -> RemoteHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        spawner.spawn_local_with_handle(task).expect("the pool is alive")
    }

    async fn join<T: 'static>(handle: RemoteHandle<T>) -> T {
        handle.await
    }

    /// `async`: the sleep (and its deadline) is made at the first poll.
    async fn sleep(duration: Duration) {
        smol::Timer::after(duration).await;
    }

    fn channel() -> (Self::Sender, Self::Receiver) {
        mpsc::channel(0)
    }

    async fn send(tx: &mut Self::Sender, value: u64) {
        tx.send(value).await.expect("the receiver is alive")
    }

    async fn recv(rx: &mut Self::Receiver) -> Option<u64> {
        rx.next().await
    }

    type Mutex = futures::lock::Mutex<()>;

    fn mutex() -> Self::Mutex {
        futures::lock::Mutex::new(())
    }

    async fn locked_yield(m: &Self::Mutex) {
        let _guard = m.lock().await;
        YieldNow::default().await;
    }

    /// futures has no pool for blocking work (its `ThreadPool` runs futures).
    const HAS_BLOCKING_POOL: bool = false;

    fn to_thread<T: Send + 'static>(
        _f: impl FnOnce() -> T + Send + 'static,
    ) -> Option<impl Future<Output = T> + 'static> {
        None::<std::future::Ready<T>>
    }
}
