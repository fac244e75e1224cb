//! `mini`: a single-threaded executor whose task wakers are built by hand
//! from a [`RawWakerVTable`]. It is the `anchor-rust-vtable` executor, and
//! the smallest complete picture of how a Rust async runtime runs tasks.
//!
//! The pieces, in the order a task meets them:
//!
//! * **Task.** [`spawn`] moves a future into an `Arc<Task<F>>`, the task's
//!   one allocation. It holds the future (later its output), the waker of
//!   whoever awaits the task's [`JoinHandle`], a `queued` flag, and the
//!   executor's [`Shared`] part, so a wake knows where to queue it.
//! * **Waker.** A task's [`Waker`] is a [`RawWaker`]: a data pointer, the
//!   task's `Arc` turned into a raw pointer, and a vtable of four
//!   hand-written functions ([`Task::VTABLE`]). `clone` adds one to the
//!   `Arc`'s strong count, `drop` takes one off, `wake_by_ref` schedules
//!   the task, `wake` schedules it and hands the waker's reference to the
//!   run queue. The vtable is generic over the future type, so each kind
//!   of task has its own functions and the pointer needs no type tag (the
//!   way tokio and async-task do it).
//! * **Scheduling.** Waking a task that is not queued already puts it on a
//!   run queue: the executor's local queue (a plain `VecDeque`, no lock)
//!   when the wake comes from the executor's own thread; otherwise the
//!   `injected` queue behind a `Mutex`, and then `Thread::unpark` of the
//!   executor's thread in case it sleeps.
//! * **Running.** [`Executor::block_on`] polls the root future when its
//!   waker has fired, runs queued tasks, and when nothing is runnable
//!   parks its thread with [`std::thread::park`] until a wake unparks it.
//! * **Joining.** A finished task keeps its output and wakes the waker its
//!   [`JoinHandle`] left; the handle then takes the output.
//!
//! Also here, the two primitives the workloads need: [`Notify`] (one
//! waiter, a stored permit) and [`yield_now`].
//!
//! Left out, as a small executor may: a task that panics takes the
//! executor down; an injected task waits until the local queue runs dry;
//! only the root future can await a JoinHandle (a handle is not Send, so
//! no task, which must be, can hold one: that is what keeps a task's state
//! on one thread without a lock).

use std::cell::{Cell, RefCell, UnsafeCell};
use std::collections::VecDeque;
use std::future::Future;
use std::marker::PhantomData;
use std::mem::{self, ManuallyDrop};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Wake, Waker};
use std::thread::{self, Thread};

/// How many tasks `block_on` runs before it looks at the root future again
/// (tokio's current_thread scheduler uses the same number).
const BUDGET: usize = 61;

/// A task as the run queues see it: something to poll.
type Runnable = Arc<dyn Run>;

trait Run: Send + Sync {
    /// Polls the task once, on the executor's thread.
    fn run(self: Arc<Self>);
}

/// The part of an executor every thread may reach: through a task's waker
/// (to inject the task) or through the root future's waker.
struct Shared {
    /// Tasks woken from other threads, waiting to move to the local queue.
    injected: Mutex<VecDeque<Runnable>>,
    /// The executor's thread, unparked by a wake from elsewhere.
    thread: Thread,
    /// Set when the root future's waker fires: `block_on` polls it again.
    root_woken: AtomicBool,
}

/// The root future's waker: std's [`Wake`] trait builds the same kind of
/// vtable for an `Arc` that [`Task::VTABLE`] spells out by hand.
impl Wake for Shared {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.root_woken.store(true, Ordering::Release);
        self.thread.unpark(); // on the executor's own thread: a flag, no system call
    }
}

impl Shared {
    /// Queues `task` from a thread other than the executor's.
    fn inject(&self, task: Runnable) {
        self.injected.lock().unwrap().push_back(task);
        self.thread.unpark();
    }
}

/// What only the executor's own thread touches, found through [`CURRENT`]
/// while `block_on` runs.
struct Local {
    shared: Arc<Shared>,
    queue: VecDeque<Runnable>,
}

thread_local! {
    /// The executor running on this thread, if `block_on` is running.
    static CURRENT: RefCell<Option<Local>> = const { RefCell::new(None) };
}

/// A spawned future and what becomes of it.
///
/// `state` is touched only on the executor's thread: by [`Run::run`], by
/// the [`JoinHandle`] (which cannot leave that thread), and by the drop of
/// the last reference (when nobody else holds one). Other threads only
/// reach `queued` and `shared`, through a waker.
struct Task<F: Future> {
    shared: Arc<Shared>,
    /// True while the task sits in a run queue, so many wakes queue it once.
    queued: AtomicBool,
    state: UnsafeCell<State<F>>,
}

struct State<F: Future> {
    stage: Stage<F>,
    /// The waker of the future awaiting the task's JoinHandle.
    joiner: Option<Waker>,
}

enum Stage<F: Future> {
    Running(F),
    Finished(F::Output),
    /// The JoinHandle took the output.
    Taken,
}

// SAFETY: another thread reaches a task only through a waker, which uses
// `queued` and `shared` (both thread-safe) and never `state` (see Task);
// if it drops the last reference, the state is dropped there, which F and
// its output being Send allows.
unsafe impl<F> Sync for Task<F>
where
    F: Future + Send,
    F::Output: Send,
{
}

impl<F> Task<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    /// The task's waker vtable. Every function receives the data pointer of
    /// the RawWaker, which is `Arc::into_raw` of the task (or, for the
    /// waker `run` lends out, `Arc::as_ptr` of a reference `run` holds).
    const VTABLE: RawWakerVTable = RawWakerVTable::new(
        Self::clone_waker,
        Self::wake,
        Self::wake_by_ref,
        Self::drop_waker,
    );

    /// `clone`: one more reference, the same pointer.
    unsafe fn clone_waker(ptr: *const ()) -> RawWaker {
        Arc::increment_strong_count(ptr.cast::<Self>());
        RawWaker::new(ptr, &Self::VTABLE)
    }

    /// `wake`: consumes the waker, so its reference moves to the queue.
    unsafe fn wake(ptr: *const ()) {
        Self::schedule(Arc::from_raw(ptr.cast::<Self>()));
    }

    /// `wake_by_ref`: the waker stays, so the queue gets a new reference.
    unsafe fn wake_by_ref(ptr: *const ()) {
        let task = ManuallyDrop::new(Arc::from_raw(ptr.cast::<Self>()));
        Self::schedule(Arc::clone(&task));
    }

    /// `drop`: one reference fewer; the last one frees the task.
    unsafe fn drop_waker(ptr: *const ()) {
        drop(Arc::from_raw(ptr.cast::<Self>()));
    }

    /// Puts the task on a run queue unless it is on one already: the local
    /// queue on the executor's thread, the injected one from elsewhere.
    fn schedule(task: Arc<Self>) {
        if task.queued.swap(true, Ordering::AcqRel) {
            return; // queued already; dropping `task` returns the reference
        }
        let task = CURRENT.with_borrow_mut(|current| match current {
            Some(local) if Arc::ptr_eq(&local.shared, &task.shared) => {
                local.queue.push_back(task);
                None
            }
            _ => Some(task),
        });
        if let Some(task) = task {
            let shared = Arc::clone(&task.shared); // outlives the push
            shared.inject(task);
        }
    }
}

impl<F> Run for Task<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn run(self: Arc<Self>) {
        // Off the queue before the poll, so a wake during the poll queues
        // the task again. A read-modify-write, not a store: it reads the
        // latest value, so whatever a waker did before its own swap on
        // `queued` is visible to the poll below.
        self.queued.swap(false, Ordering::AcqRel);

        // The waker for this poll borrows `self`'s reference: no count
        // changes unless the future keeps a clone.
        let raw = RawWaker::new(Arc::as_ptr(&self).cast(), &Self::VTABLE);
        // SAFETY: VTABLE's functions match a pointer from Arc<Task<F>>,
        // and ManuallyDrop keeps the borrowed reference from being dropped.
        let waker = ManuallyDrop::new(unsafe { Waker::from_raw(raw) });
        let mut cx = Context::from_waker(&waker);

        // SAFETY: only the executor's thread touches `state` (see Task).
        let state = unsafe { &mut *self.state.get() };
        let Stage::Running(future) = &mut state.stage else {
            return; // finished already: a wake that came late
        };
        // SAFETY: the future lives inside the Arc and is never moved out of
        // it; when it finishes it is dropped in place (below).
        let future = unsafe { Pin::new_unchecked(future) };
        if let Poll::Ready(output) = future.poll(&mut cx) {
            state.stage = Stage::Finished(output);
            if let Some(joiner) = state.joiner.take() {
                joiner.wake();
            }
        }
    }
}

/// What a [`JoinHandle`] asks of its task, whatever the future's type.
trait Join<T> {
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<T>;
}

impl<F: Future> Join<F::Output> for Task<F> {
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: a JoinHandle is polled on the executor's thread only.
        let state = unsafe { &mut *self.state.get() };
        if let Stage::Finished(_) = state.stage {
            let Stage::Finished(output) = mem::replace(&mut state.stage, Stage::Taken) else {
                unreachable!()
            };
            return Poll::Ready(output);
        }
        let same = state
            .joiner
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()));
        if !same {
            state.joiner = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

/// Awaits a spawned task's output. Dropping it detaches the task.
pub struct JoinHandle<T> {
    task: Arc<dyn Join<T>>,
    /// Not Send: it touches the task's state, which lives on one thread.
    _not_send: PhantomData<*const ()>,
}

impl<T> Future for JoinHandle<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        self.task.poll_join(cx)
    }
}

/// Spawns `future` as a task of the executor running on this thread.
///
/// # Panics
///
/// Outside [`Executor::block_on`].
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    CURRENT.with_borrow_mut(|current| {
        let local = current
            .as_mut()
            .expect("mini::spawn outside Executor::block_on");
        let task = Arc::new(Task {
            shared: Arc::clone(&local.shared),
            queued: AtomicBool::new(true),
            state: UnsafeCell::new(State {
                stage: Stage::Running(future),
                joiner: None,
            }),
        });
        local.queue.push_back(task.clone());
        JoinHandle {
            task,
            _not_send: PhantomData,
        }
    })
}

/// A single-threaded executor. Its tasks run on the thread that created it,
/// inside [`block_on`](Executor::block_on); they may be woken from any
/// thread.
pub struct Executor {
    shared: Arc<Shared>,
    /// The local run queue, kept here between `block_on` calls.
    queue: Cell<VecDeque<Runnable>>,
    /// Not Send: `shared.thread` is the thread that created it.
    _not_send: PhantomData<*const ()>,
}

impl Default for Executor {
    fn default() -> Self {
        Self::new()
    }
}

impl Executor {
    /// An executor for the calling thread.
    pub fn new() -> Self {
        let shared = Shared {
            injected: Mutex::new(VecDeque::new()),
            thread: thread::current(),
            root_woken: AtomicBool::new(false),
        };
        Executor {
            shared: Arc::new(shared),
            queue: Cell::default(),
            _not_send: PhantomData,
        }
    }

    /// Runs `future` to completion, and with it every task it spawns or
    /// wakes, on this thread.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _enter = Enter::new(self);
        let waker = Waker::from(Arc::clone(&self.shared));
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        self.shared.root_woken.store(true, Ordering::Relaxed);
        loop {
            if self.shared.root_woken.swap(false, Ordering::AcqRel) {
                if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                    return output;
                }
            }
            let mut ran = 0;
            while ran < BUDGET {
                let Some(task) = self.next_task() else { break };
                task.run();
                ran += 1;
            }
            // Nothing ran and the root is not woken: sleep until a wake.
            // A wake between the check and the park leaves an unpark token,
            // so park returns at once (it may also return for no reason:
            // the loop checks again either way).
            if ran == 0 && !self.shared.root_woken.load(Ordering::Acquire) {
                thread::park();
            }
        }
    }

    /// The next runnable task: the local queue first, then the injected
    /// ones, moved over in one go.
    fn next_task(&self) -> Option<Runnable> {
        let local = CURRENT.with_borrow_mut(|current| current.as_mut()?.queue.pop_front());
        if local.is_some() {
            return local;
        }
        let mut injected = self.shared.injected.lock().unwrap();
        let first = injected.pop_front()?;
        CURRENT.with_borrow_mut(|current| {
            if let Some(local) = current {
                local.queue.extend(injected.drain(..));
            }
        });
        Some(first)
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        // Tasks hold the Shared that holds the injected ones: break the cycle.
        let leftover = mem::take(&mut *self.shared.injected.lock().unwrap());
        drop(leftover);
    }
}

/// While `block_on` runs: makes its executor the thread's [`CURRENT`] one,
/// and on the way out (also by a panic) puts the previous one back.
struct Enter<'a> {
    executor: &'a Executor,
    previous: Option<Local>,
}

impl<'a> Enter<'a> {
    fn new(executor: &'a Executor) -> Self {
        let local = Local {
            shared: Arc::clone(&executor.shared),
            queue: executor.queue.take(),
        };
        let previous = CURRENT.replace(Some(local));
        Enter { executor, previous }
    }
}

impl Drop for Enter<'_> {
    fn drop(&mut self) {
        if let Some(local) = CURRENT.replace(self.previous.take()) {
            self.executor.queue.set(local.queue);
        }
    }
}

/// A one-waiter notification: [`notify_one`](Notify::notify_one) stores a
/// permit and wakes the waiter if one is registered;
/// [`notified`](Notify::notified) completes once it can take a permit.
/// Like tokio's `Notify` with a single waiter; it works across threads.
#[derive(Default)]
pub struct Notify {
    state: Mutex<NotifyState>,
}

#[derive(Default)]
struct NotifyState {
    permit: bool,
    waiter: Option<Waker>,
}

impl Notify {
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores the permit and wakes the waiter, if any (outside the lock).
    pub fn notify_one(&self) {
        let waiter = {
            let mut state = self.state.lock().unwrap();
            state.permit = true;
            state.waiter.take()
        };
        if let Some(waker) = waiter {
            waker.wake();
        }
    }

    /// Completes when a permit is there to take.
    pub fn notified(&self) -> Notified<'_> {
        Notified(self)
    }
}

/// The future of [`Notify::notified`].
pub struct Notified<'a>(&'a Notify);

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.0.state.lock().unwrap();
        if mem::take(&mut state.permit) {
            return Poll::Ready(());
        }
        state.waiter = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Gives the other runnable tasks a turn: the returned future wakes its own
/// task and returns Pending once, so the task goes to the back of the queue.
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future of [`yield_now`].
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_outputs_in_spawn_order() {
        let ex = Executor::new();
        let sum = ex.block_on(async {
            let handles: Vec<_> = (1..=100u64).map(|i| spawn(async move { i })).collect();
            let mut sum = 0;
            for h in handles {
                sum += h.await;
            }
            sum
        });
        assert_eq!(sum, 5050);
    }

    #[test]
    fn a_task_woken_from_another_thread_runs() {
        let ex = Executor::new();
        let notify = Arc::new(Notify::new());
        let (ack, acked) = std::sync::mpsc::channel();
        let n = Arc::clone(&notify);
        let outside = thread::spawn(move || {
            for _ in 0..100 {
                n.notify_one();
                acked.recv().unwrap();
            }
        });
        let got = ex.block_on(async move {
            spawn(async move {
                for round in 0..100 {
                    notify.notified().await;
                    ack.send(round).unwrap();
                }
                100
            })
            .await
        });
        outside.join().unwrap();
        assert_eq!(got, 100);
    }

    #[test]
    fn yield_now_lets_others_run() {
        let ex = Executor::new();
        let order = ex.block_on(async {
            let log = Arc::new(Mutex::new(Vec::new()));
            let spawn_logger = |id: u32| {
                let log = Arc::clone(&log);
                spawn(async move {
                    for _ in 0..2 {
                        log.lock().unwrap().push(id);
                        yield_now().await;
                    }
                })
            };
            let (a, b) = (spawn_logger(1), spawn_logger(2));
            a.await;
            b.await;
            let order = log.lock().unwrap().clone();
            order
        });
        assert_eq!(order, [1, 2, 1, 2]);
    }

    #[test]
    fn the_executor_can_be_reused() {
        let ex = Executor::new();
        for round in 0..3u32 {
            assert_eq!(
                ex.block_on(async move { spawn(async move { round }).await }),
                round
            );
        }
    }
}
