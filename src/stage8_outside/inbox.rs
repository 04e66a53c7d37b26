//! The inbox: how another thread hands the loop a callback, and wakes it.
//!
//! The loop's state is `Rc`s and `RefCell`s: no other thread may touch it.
//! What a thread *can* do is leave a callback in a mutex-guarded inbox and
//! write one byte to the **self-pipe** — a socket pair whose reading end is
//! always in the loop's `poll(2)` set — so that a loop asleep in `poll` wakes
//! at once. This is asyncio's `call_soon_threadsafe`: it appends to the
//! ready queue under the GIL and writes to `self._csock`.
//!
//! The byte is written only when the inbox goes from empty to non-empty
//! (`pending`): a thousand results arriving together cost one wake-up, and
//! a full pipe (the loop is not reading) is harmless — a byte is there.
//!
//! Rejected alternatives: a `std::sync::mpsc` channel has no descriptor to
//! poll, so an idle loop would have to wake up every few milliseconds to
//! look at it; a `Condvar` cannot be waited on together with sockets.

use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

/// A callback sent from another thread, and where it was sent from (for the
/// report if it panics).
pub(crate) type Sent = (Box<dyn FnOnce() + Send>, &'static Location<'static>);

/// The loop's thread-safe inbox and the writing end of its self-pipe.
pub(crate) struct Inbox {
    queue: Mutex<Queue>,
    /// `true` from the first callback sent until the loop takes them: the
    /// loop checks it in every iteration without the mutex.
    pending: AtomicBool,
    /// The self-pipe's writing end (non-blocking).
    pipe: UnixStream,
    /// Live [`LoopHandle`](super::LoopHandle)s: while any exists, something
    /// outside may still send, so an idle loop waits instead of reporting
    /// a deadlock.
    pub(crate) handles: AtomicUsize,
}

struct Queue {
    sent: Vec<Sent>,
    /// `false` once the loop is gone: what arrives then is dropped.
    open: bool,
}

/// The loop is gone: the callback was dropped, not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoopClosed;

impl std::fmt::Display for LoopClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the event loop is closed: the callback was dropped")
    }
}

impl std::error::Error for LoopClosed {}

impl Inbox {
    /// An inbox, and the reading end of its self-pipe (for the selector).
    pub(crate) fn new() -> std::io::Result<(Inbox, UnixStream)> {
        let (reader, writer) = UnixStream::pair()?;
        reader.set_nonblocking(true)?;
        writer.set_nonblocking(true)?;
        let queue = Mutex::new(Queue { sent: Vec::new(), open: true });
        Ok((
            Inbox { queue, pending: AtomicBool::new(false), pipe: writer, handles: AtomicUsize::new(0) },
            reader,
        ))
    }

    /// From any thread: leaves `f` for the loop and wakes it.
    pub(crate) fn send(
        &self,
        f: Box<dyn FnOnce() + Send>,
        at: &'static Location<'static>,
    ) -> Result<(), LoopClosed> {
        let mut queue = self.lock();
        if !queue.open {
            return Err(LoopClosed); // dropped here, on this thread
        }
        queue.sent.push((f, at));
        let first = !self.pending.swap(true, Ordering::AcqRel);
        drop(queue);
        if first {
            // WouldBlock: the pipe is full of earlier bytes, so the loop
            // will wake anyway. Any other error: the loop closed its end.
            let _ = (&self.pipe).write(&[1]);
        }
        Ok(())
    }

    /// `true` if something was sent since the loop last took: one atomic
    /// load, checked in every iteration.
    pub(crate) fn has_mail(&self) -> bool {
        self.pending.load(Ordering::Acquire)
    }

    /// On the loop's thread: everything sent so far, in the order it was sent.
    pub(crate) fn take(&self) -> Vec<Sent> {
        let mut queue = self.lock();
        self.pending.store(false, Ordering::Release);
        std::mem::take(&mut queue.sent)
    }

    /// On the loop's thread, when it goes: later sends are refused, and what
    /// was sent but not taken is dropped (results nobody can receive).
    pub(crate) fn close(&self) {
        let dropped = {
            let mut queue = self.lock();
            queue.open = false;
            std::mem::take(&mut queue.sent)
        };
        drop(dropped); // outside the lock: a callback's Drop may send again
    }

    /// A panicking callback's `Drop` cannot poison the queue for good: the
    /// data (a `Vec` and a flag) is valid whatever panicked.
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Empties the self-pipe's reading end, so that `poll` stops reporting it.
pub(crate) fn drain_self_pipe(mut reader: &UnixStream) {
    let mut buf = [0u8; 256];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return, // the writer is gone
            Ok(_) => continue,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return, // WouldBlock: empty
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_thousand_sends_write_one_byte_and_arrive_in_order() {
        let (inbox, reader) = Inbox::new().unwrap();
        let inbox = Arc::new(inbox);
        let sender = inbox.clone();
        std::thread::spawn(move || {
            for i in 0..1000 {
                let f: Box<dyn FnOnce() + Send> = Box::new(move || assert!(i < 1000));
                sender.send(f, Location::caller()).unwrap();
            }
        })
        .join()
        .unwrap();
        assert!(inbox.has_mail());
        let mut buf = [0u8; 16];
        assert_eq!((&reader).read(&mut buf).unwrap(), 1, "one wake-up for the lot");
        let sent = inbox.take();
        assert_eq!(sent.len(), 1000);
        assert!(!inbox.has_mail());
        sent.into_iter().for_each(|(f, _)| f());
    }

    #[test]
    fn after_close_a_send_is_refused_and_its_callback_dropped() {
        let (inbox, reader) = Inbox::new().unwrap();
        drop(reader); // the loop's end is gone too: writing must not crash
        let dropped = Arc::new(AtomicBool::new(false));
        struct SetOnDrop(Arc<AtomicBool>);
        impl Drop for SetOnDrop {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let guard = SetOnDrop(dropped.clone());
        inbox.send(Box::new(move || drop(guard)), Location::caller()).unwrap();
        inbox.close();
        assert!(dropped.load(Ordering::SeqCst), "what was waiting is dropped at close");
        assert_eq!(inbox.send(Box::new(|| ()), Location::caller()), Err(LoopClosed));
    }

    #[test]
    fn draining_leaves_the_pipe_quiet() {
        let (inbox, reader) = Inbox::new().unwrap();
        for _ in 0..3 {
            inbox.send(Box::new(|| ()), Location::caller()).unwrap();
            inbox.take();
        }
        drain_self_pipe(&reader);
        let mut buf = [0u8; 1];
        assert_eq!((&reader).read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
    }
}
