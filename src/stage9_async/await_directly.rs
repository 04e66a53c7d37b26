//! `IntoFuture` for rondo's own coroutines: `sleep(d).await`, `task.await`,
//! `lock.acquire().await` — no `.future()`.
//!
//! `.await` on a value calls `IntoFuture::into_future` first, so a type
//! with an `IntoFuture` impl can be awaited as it is. A blanket impl for
//! every `Coroutine` is refused by the orphan rule (`into_future` says why),
//! but an impl for each of rondo's *own* coroutine types is allowed — they
//! are local types — and each one is the same line: `self.future()`. This
//! file lists them. A coroutine of yours (a hand-written machine in your
//! crate) still writes `.future()`, or its own three-line `IntoFuture` impl.
//!
//! Nothing changes underneath: `x.await` is `x.future().await`, the
//! [`CoroutineFuture`] of `into_future`, with its direct path to the task's
//! rondo waker.
//!
//! ```
//! use rondo::{EventLoop, Lock, from_future, gather, sleep, spawn};
//! use std::time::Duration;
//!
//! let main = from_future(async {
//!     let lock = Lock::new();
//!     let task = spawn(from_future(async { 2 }));
//!     sleep(Duration::from_secs(1)).await; // asyncio.sleep(1)
//!     let _held = lock.acquire().await; // async with lock:
//!     let both = gather(vec![sleep(Duration::from_secs(1)), sleep(Duration::from_secs(1))]).await;
//!     both.unwrap().len() + task.await.unwrap()
//! });
//! let ev = EventLoop::new_virtual();
//! assert_eq!(ev.run_until_complete(main).unwrap(), 4);
//! assert_eq!(ev.time(), 2.0);
//! ```

use super::into_future::{Awaitable, CoroutineFuture};
use crate::stage5_combinators::Stream;
use crate::*;
use std::future::IntoFuture;

/// `impl IntoFuture` for each listed type: `[generics] Type`. The impl
/// holds wherever the type is a `Coroutine` (the `where` clause), so the
/// list need not repeat each type's bounds.
macro_rules! await_directly {
    ($([$($generics:tt)*] $ty:ty),* $(,)?) => {$(
        impl<$($generics)*> IntoFuture for $ty
        where
            $ty: Coroutine,
        {
            type Output = <$ty as Coroutine>::Output;
            type IntoFuture = CoroutineFuture<$ty>;

            fn into_future(self) -> CoroutineFuture<$ty> {
                self.future()
            }
        }
    )*};
}

await_directly!(
    // stage 2 and 3: the leaves of time
    [] crate::stage2_coroutine::YieldNow,
    [] Sleep,
    // stage 4: tasks (a `&mut Task` keeps the handle, to ask `done()` after)
    [T] Task<T>,
    ['a, T] &'a mut Task<T>,
    // stage 5: combinators
    [T] Ready<T>,
    [F] Lazy<F>,
    [F] PollFn<F>,
    [A: Coroutine, B, F] Then<A, B, F>,
    [C: Coroutine, F] Map<C, F>,
    [T] Gather<T>,
    [T] GatherSettled<T>,
    [A: Coroutine, B: Coroutine] Join<A, B>,
    [A: Coroutine, B: Coroutine, C: Coroutine] Join3<A, B, C>,
    [C: Coroutine] JoinAll<C>,
    [A: Coroutine, B: Coroutine] Select<A, B>,
    [C: Coroutine] Race<C>,
    [C: Coroutine] Timeout<C>,
    [T] Wait<T>,
    [T] PromiseWait<T>,
    ['a, S: Stream] crate::stage5_combinators::Next<'a, S>,
    [S, F] crate::stage5_combinators::ForEach<S, F>,
    [S: Stream] crate::stage5_combinators::Collect<S>,
    // stage 6
    [T] crate::stage6_failure::Shield<T>,
    // stage 7: coordination
    [] crate::stage7_coordination::Acquire,
    [] crate::stage7_coordination::SemaphoreAcquire,
    [] crate::stage7_coordination::EventWait,
    [] crate::stage7_coordination::CondWait,
    [P] crate::stage7_coordination::CondWaitFor<P>,
    [] crate::stage7_coordination::BarrierWait,
    [] crate::stage7_coordination::BarrierControl,
    [T] crate::stage7_coordination::QueuePut<T>,
    [T] crate::stage7_coordination::QueueGet<T>,
    [] crate::stage7_coordination::QueueJoin,
    [T] ChildTask<T>,
    [F, B] TimeoutAt<F, B>,
    [E, F, B, R] WithTaskGroup<E, F, B, R>,
    // stage 8: the outside world
    [T] ToThread<T>,
    [] Accept,
    [] Connect,
    [] ReadSome,
    [] ReadExact,
    [] ReadUntil,
    [] WriteAll,
    [] ProcessWait,
    [] Communicate,
);

#[cfg(test)]
mod tests {
    use crate::*;
    use std::time::Duration;

    #[test]
    fn awaiting_directly_keeps_the_order_of_future() {
        // The same program twice: `.future().await` and `.await`.
        fn program(direct: bool) -> Vec<String> {
            let out = Transcript::new();
            let said = out.clone();
            let main = from_future(async move {
                let queue = Queue::new(1);
                let producer = {
                    let (queue, out) = (queue.clone(), said.clone());
                    spawn(from_future(async move {
                        for n in 0..3 {
                            out.say(format!("put {n}"));
                            if direct {
                                queue.put(n).await.unwrap();
                            } else {
                                queue.put(n).future().await.unwrap();
                            }
                        }
                    }))
                };
                for _ in 0..3 {
                    let n = if direct { queue.get().await } else { queue.get().future().await };
                    said.say(format!("got {}", n.unwrap()));
                    if direct {
                        sleep(Duration::from_millis(100)).await;
                    } else {
                        sleep(Duration::from_millis(100)).future().await;
                    }
                }
                if direct { producer.await } else { producer.future().await }.unwrap();
            });
            EventLoop::new_virtual().run(main).unwrap();
            out.stamped_with_iterations()
        }
        let direct = program(true);
        assert_eq!(direct, program(false));
        assert_eq!(direct.len(), 6);
    }
}
