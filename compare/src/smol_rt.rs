//! smol, single-threaded: a `LocalExecutor` run under `smol::block_on`
//! (async-io's, which drives the reactor and its timers on this thread while
//! it waits). Timers: `smol::Timer` (async-io: a `BTreeMap` of deadlines).
//! Channel: `smol::channel::bounded(1)` (async-channel).
//! Lock: `smol::lock::Mutex` (async-lock, which smol re-exports: not strictly fair).

use crate::workloads::{LocalRuntime, YieldNow};
use smol::channel::{Receiver, Sender};
use smol::{LocalExecutor, Task, Timer};
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

pub struct Smol {
    ex: Rc<LocalExecutor<'static>>,
}

impl LocalRuntime for Smol {
    type Spawner = Rc<LocalExecutor<'static>>;
    type Handle<T: 'static> = Task<T>;
    type Sender = Sender<u64>;
    type Receiver = Receiver<u64>;

    fn new() -> Self {
        Smol { ex: Rc::new(LocalExecutor::new()) }
    }

    fn spawner(&self) -> Self::Spawner {
        self.ex.clone()
    }

    fn block_on<F: Future + 'static>(&mut self, main: F) -> F::Output {
        smol::block_on(self.ex.run(main))
    }

    fn spawn<F>(ex: &Self::Spawner, task: F) -> Task<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        ex.spawn(task)
    }

    async fn join<T: 'static>(handle: Task<T>) -> T {
        handle.await
    }

    /// `async`: the sleep (and its deadline) is made at the first poll.
    async fn sleep(duration: Duration) {
        Timer::after(duration).await;
    }

    fn channel() -> (Self::Sender, Self::Receiver) {
        smol::channel::bounded(1)
    }

    async fn send(tx: &mut Self::Sender, value: u64) {
        tx.send(value).await.expect("the receiver is alive")
    }

    async fn recv(rx: &mut Self::Receiver) -> Option<u64> {
        rx.recv().await.ok()
    }

    type Mutex = smol::lock::Mutex<()>;

    fn mutex() -> Self::Mutex {
        smol::lock::Mutex::new(())
    }

    async fn locked_yield(m: &Self::Mutex) {
        let _guard = m.lock().await;
        YieldNow::default().await;
    }

    fn to_thread<T: Send + 'static>(
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Option<impl Future<Output = T> + 'static> {
        Some(smol::unblock(f))
    }
}
