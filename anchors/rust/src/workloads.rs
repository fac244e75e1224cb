//! The workloads, written once for any [`Executor`], each one call of the
//! iostrat benchmark of the same name (bench/dispatch_test.go and
//! bench/wake_test.go): the same counts, and a result the caller checks
//! exactly.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;

/// What a workload needs of an executor. A value is one runtime, built
/// once per benchmark leaf; `spawn` and `yield_now` act on the runtime
/// whose `block_on` is running on the calling thread, like `tokio::spawn`.
pub trait Executor: Sized {
    /// The name after `impl=anchor-`.
    const NAME: &'static str;
    /// The executor's own wake primitive.
    type Notify: Notify;

    fn new() -> Self;

    /// Runs `future`, the root of one workload call, to completion.
    fn block_on<F: Future>(&self, future: F) -> F::Output;

    /// Spawns a task; awaiting the result gives the task's output, and
    /// dropping it detaches the task.
    fn spawn<F>(future: F) -> impl Future<Output = F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// The runtime's own yield: Pending once, the task requeued.
    fn yield_now() -> impl Future<Output = ()> + Send;
}

/// A one-waiter notification with a stored permit, tokio's `Notify`
/// semantics: a `notify_one` with nobody waiting is kept for the next
/// `notified`.
pub trait Notify: Send + Sync + 'static {
    fn new() -> Self;
    fn notify_one(&self);
    fn notified(&self) -> impl Future<Output = ()> + Send + '_;
}

/// Spawn: `n` tasks spawned from inside the runtime, then all joined. Task
/// `i` produces `i + 1` and the joining root adds it to the sum (a shared
/// sum would need an atomic in Rust's Send tasks, work the Go tasks do
/// not do); returns the sum, n(n+1)/2 when every task ran once.
pub fn spawn<E: Executor>(ex: &E, n: u64) -> u64 {
    ex.block_on(async move {
        let handles: Vec<_> = (0..n).map(|i| E::spawn(async move { i + 1 })).collect();
        let mut sum = 0;
        for handle in handles {
            sum += handle.await;
        }
        sum
    })
}

/// Chain: a task that spawns the next, detached, and finishes, `depth`
/// times over; the count of links that ran travels down the chain, and
/// only the last link signals the caller. Returns that count.
pub fn chain<E: Executor>(ex: &E, depth: u64) -> u64 {
    ex.block_on(async move {
        if depth == 0 {
            return 0;
        }
        let end = Arc::new(ChainEnd {
            ran: AtomicU64::new(0),
            done: E::Notify::new(),
        });
        chain_link::<E>(Arc::clone(&end), 0, depth);
        end.done.notified().await;
        end.ran.load(Ordering::Relaxed) // the Notify's wake orders this read
    })
}

/// Where the last link of a chain leaves its count.
struct ChainEnd<N> {
    ran: AtomicU64,
    done: N,
}

/// Spawns the link after `ran` links have run.
fn chain_link<E: Executor>(end: Arc<ChainEnd<E::Notify>>, ran: u64, depth: u64) {
    drop(E::spawn(async move {
        let ran = ran + 1;
        if ran == depth {
            end.ran.store(ran, Ordering::Relaxed);
            end.done.notify_one();
        } else {
            chain_link::<E>(end, ran, depth);
        }
    }));
}

/// Yield: `tasks` tasks each yield `yields` times through the runtime's own
/// yield, counting the yields that returned; returns the total.
pub fn yield_many<E: Executor>(ex: &E, tasks: u64, yields: u64) -> u64 {
    ex.block_on(async move {
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                E::spawn(async move {
                    let mut done = 0;
                    for _ in 0..yields {
                        E::yield_now().await;
                        done += 1;
                    }
                    done
                })
            })
            .collect();
        let mut total = 0;
        for handle in handles {
            total += handle.await;
        }
        total
    })
}

/// PingPong mode=same: two tasks on the one runtime thread alternate
/// through two Notify, `rounds` times; the pinger wakes the ponger, the
/// ponger wakes the pinger: one round. Returns the pinger's completed
/// rounds.
pub fn ping_pong_same<E: Executor>(ex: &E, rounds: u64) -> u64 {
    ex.block_on(async move {
        let ping = Arc::new(E::Notify::new());
        let pong = Arc::new(E::Notify::new());
        // The ponger first, so that it waits before the first ping.
        let ponger = E::spawn({
            let (ping, pong) = (Arc::clone(&ping), Arc::clone(&pong));
            async move {
                for _ in 0..rounds {
                    ping.notified().await;
                    pong.notify_one();
                }
            }
        });
        let pinger = E::spawn(async move {
            let mut completed = 0;
            for _ in 0..rounds {
                ping.notify_one();
                pong.notified().await;
                completed += 1;
            }
            completed
        });
        let completed = pinger.await;
        ponger.await;
        completed
    })
}

/// WakeExternal: one task parked in the runtime, a plain OS thread (one per
/// call) wakes it `rounds` times with `notify_one`, the runtime's
/// cross-thread wake. The task passes a [`Baton`] back each time it has
/// parked again (its waker registered), and once more after the last wake;
/// the plain thread waits for the baton before each wake. Returns the
/// wakes the task acknowledged.
pub fn wake_external<E: Executor>(ex: &E, rounds: u64) -> u64 {
    let notify = Arc::new(E::Notify::new());
    let baton = Arc::new(Baton::default());
    thread::scope(|scope| {
        let (outside_notify, outside_baton) = (Arc::clone(&notify), Arc::clone(&baton));
        scope.spawn(move || {
            outside_baton.wait(); // the task is parked, its waker registered
            for _ in 0..rounds {
                outside_notify.notify_one();
                outside_baton.wait();
            }
        });
        let task = async move {
            let mut acked = 0;
            for _ in 0..rounds {
                await_parked(notify.notified(), || baton.pass()).await;
                acked += 1;
            }
            baton.pass();
            acked
        };
        ex.block_on(async move { E::spawn(task).await })
    })
}

/// Awaits `future`, calling `parked` the first time it returns Pending:
/// the moment the task has registered its waker and is about to park.
async fn await_parked<F: Future>(future: F, parked: impl FnOnce()) -> F::Output {
    let mut future = pin!(future);
    let mut parked = Some(parked);
    poll_fn(|cx| {
        let poll = future.as_mut().poll(cx);
        if poll.is_pending() {
            if let Some(parked) = parked.take() {
                parked();
            }
        }
        poll
    })
    .await
}

/// The return path of WakeExternal, from the woken task to the plain
/// thread: a flag under a Mutex and a Condvar (a futex underneath), the
/// same for every executor, so only the inward wake differs between them.
#[derive(Default)]
pub struct Baton {
    passed: Mutex<bool>,
    handed: Condvar,
}

impl Baton {
    /// Hands the baton over; the other side is waiting for it or soon will.
    pub fn pass(&self) {
        *self.passed.lock().unwrap() = true;
        self.handed.notify_one();
    }

    /// Blocks until the baton is passed, and takes it.
    pub fn wait(&self) {
        let mut passed = self.passed.lock().unwrap();
        while !*passed {
            passed = self.handed.wait(passed).unwrap();
        }
        *passed = false;
    }
}
