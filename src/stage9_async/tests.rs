//! Unit tests of the std waker's pieces (`waker_table`, `task_waker`,
//! `lent_waker`), together: each is seen through a poll that lends a waker.

use super::lent_waker::{AfterPoll, Own, poll_lent, with_polling_task};
use super::task_waker::{Reach, held_elsewhere};
use super::waker_table::Slot;
use crate::Wake;
use crate::Waker;
use crate::stage8_outside::inbox::Inbox;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

struct Count(Cell<u32>);
impl Wake for Count {
    fn wake(&self) {
        self.0.set(self.0.get() + 1);
    }
}

fn counter() -> (Rc<Count>, Waker) {
    let count = Rc::new(Count(Cell::new(0)));
    (count.clone(), Waker::new(count))
}

/// A poll that lends a waker and does `f` with it (`Lent`, unwrapped).
fn lend(f: impl FnOnce(&std::task::Waker)) -> AfterPoll {
    let (_count, waker) = counter();
    poll_lent(&waker, |std_waker| {
        f(std_waker);
        std::task::Poll::<()>::Pending
    })
    .1
}

#[test]
fn a_lent_waker_woken_in_its_poll_is_noted_and_goes_back() {
    let mut data = None;
    // As a future that yields does: wake, return Pending.
    let after = lend(|std_waker| {
        data = Some(std_waker.data());
        std_waker.wake_by_ref();
    });
    assert!(matches!(after, AfterPoll::Returned { woken: true }), "the poll finds the note");
    let after =
        lend(|std_waker| assert_eq!(Some(std_waker.data()), data, "the spare is lent again: no new Arc"));
    assert!(matches!(after, AfterPoll::Returned { woken: false }), "the note was cleared");
}

#[test]
fn an_outer_lent_waker_woken_during_a_nested_poll_is_noted_for_its_own() {
    let after = lend(|outer| {
        let inner = lend(|_| outer.wake_by_ref());
        assert!(matches!(inner, AfterPoll::Returned { woken: false }), "not the inner task's wake");
    });
    assert!(matches!(after, AfterPoll::Returned { woken: true }), "the outer poll finds its note");
}

#[test]
fn a_nested_poll_gets_its_own_spare_and_keeps_it_for_the_next_time() {
    let mut seen = vec![];
    for _ in 0..2 {
        let after = lend(|outer| {
            let inner = lend(|inner| {
                assert_ne!(outer.data(), inner.data());
                seen.push((outer.data(), inner.data()));
            });
            assert!(matches!(inner, AfterPoll::Returned { .. }));
        });
        assert!(matches!(after, AfterPoll::Returned { .. }));
    }
    // Both spares went back: the second round is lent the same two (in
    // some order), no new `Arc` for either level.
    let (first, second) = (seen[0], seen[1]);
    assert!(second == first || second == (first.1, first.0), "{seen:?}");
}

/// A poll whose future keeps a clone of the lent waker: the clone and the
/// `Own` the task adopts (named after `waker`, reached through `inbox`).
fn kept(
    waker: &Waker,
    inbox: Option<&Arc<Inbox>>,
    also: impl FnOnce(&std::task::Waker),
) -> (std::task::Waker, Own) {
    let mut kept = None;
    let after = lend(|std_waker| {
        kept = Some(std_waker.clone());
        also(std_waker);
    });
    let AfterPoll::Kept(lent) = after else { panic!("a clone is kept") };
    let reach = inbox.map_or(Reach::Nowhere, |inbox| Reach::Inbox(Arc::downgrade(inbox)));
    (kept.unwrap(), lent.adopt(waker, reach))
}

#[test]
fn a_kept_clone_is_adopted_and_then_names_the_task() {
    let (count, waker) = counter();
    let (kept, own) = kept(&waker, None, |_| {});
    kept.wake_by_ref();
    assert_eq!(count.0.get(), 1, "on its thread: the task's own waker, at once");
    own.finish();
    kept.wake_by_ref();
    assert_eq!(count.0.get(), 1, "the task is gone: the kept clone wakes nobody");
    lend(|lent| assert_ne!(lent.data(), kept.data(), "an adopted waker is never lent again"));
}

#[test]
fn a_stale_std_waker_does_not_wake_the_slots_next_task() {
    let (first, first_waker) = counter();
    let (stale, own) = kept(&first_waker, None, |_| {});
    let slot = own.slot;
    own.finish();
    let (second, second_waker) = counter();
    let reused = Slot::new(&second_waker);
    assert_eq!(reused.index, slot.index, "the entry is reused...");
    stale.wake_by_ref();
    assert_eq!((first.0.get(), second.0.get()), (0, 0), "...but the old generation wakes nobody");
    reused.free();
}

#[test]
fn a_wake_from_another_thread_before_adoption_is_delivered_by_it() {
    // The clone went to a thread, which woke it (and dropped it) before
    // the poll ended: the note survives, and adoption delivers it.
    let (count, waker) = counter();
    let (inbox, _pipe) = Inbox::new().unwrap();
    let inbox = Arc::new(inbox);
    let (kept, own) = kept(&waker, Some(&inbox), |std_waker| {
        let elsewhere = std_waker.clone();
        std::thread::spawn(move || elsewhere.wake()).join().unwrap();
        assert_eq!(count.0.get(), 0, "nothing runs on another thread");
    });
    assert_eq!(count.0.get(), 1, "adopting the waker delivers the early wake");
    assert!(held_elsewhere(), "a clone is still held beyond the task");
    drop(kept);
    assert!(!held_elsewhere(), "only the task holds it now");
    own.finish();
}

#[test]
fn a_waker_held_elsewhere_keeps_the_loop_listening_only_while_its_task_lives() {
    let (_count, waker) = counter();
    let (inbox, _pipe) = Inbox::new().unwrap();
    let inbox = Arc::new(inbox);
    let (kept, own) = kept(&waker, Some(&inbox), |_| {});
    assert!(held_elsewhere());
    own.finish(); // the task ended: a waker kept somewhere keeps nothing open
    assert!(!held_elsewhere());
    drop(kept);
}

#[test]
fn a_waker_is_recognised_only_inside_the_poll_that_lent_it() {
    let (_count, waker) = counter();
    let is_task =
        |std: &std::task::Waker| with_polling_task(std, |task| task.will_wake(&waker)).unwrap_or(false);
    let mut lent = None;
    let _ = poll_lent(&waker, |std_waker| {
        assert!(is_task(std_waker));
        assert!(!is_task(std::task::Waker::noop()), "another waker is not the task's");
        lent = Some(std_waker.data());
        std::task::Poll::Ready(())
    });
    lend(|std_waker| {
        assert_eq!(Some(std_waker.data()), lent, "the same spare...");
        assert!(!is_task(std_waker), "...is not that task's once its poll ended");
    });
}
