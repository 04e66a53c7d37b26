//! A one-value mailbox and the std future that waits on it: the smallest
//! std future woken from outside rondo (by a thread, or another task). The
//! waiting future parks its waker there, replacing any earlier one, as the
//! `Future` contract asks.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

#[derive(Default)]
pub struct Mailbox {
    pub value: Option<u64>,
    pub waker: Option<Waker>,
}

pub type Shared = Arc<Mutex<Mailbox>>;

/// Puts `value` in the mailbox and wakes whoever waits there (outside the lock).
pub fn put(mailbox: &Shared, value: u64) {
    let waker = {
        let mut mailbox = mailbox.lock().unwrap();
        mailbox.value = Some(value);
        mailbox.waker.take()
    };
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// Waits for the mailbox's value.
pub struct Take(pub Shared);

impl Future for Take {
    type Output = u64;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        let mut mailbox = self.0.lock().unwrap();
        match mailbox.value.take() {
            Some(value) => Poll::Ready(value),
            None => {
                mailbox.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
