//! The two executors behind [`workloads::Executor`]: tokio's
//! current_thread runtime and the hand-written [`mini`] executor.

use std::future::Future;

use crate::mini;
use crate::workloads::{Executor, Notify};

/// `anchor-tokio-ct`: tokio's current_thread runtime, with no I/O or time
/// driver (the workloads use neither), so an idle runtime parks its thread
/// on a condition variable and a wake from another thread pushes to the
/// runtime's inject queue and unparks it.
pub struct TokioCt {
    runtime: tokio::runtime::Runtime,
}

impl Executor for TokioCt {
    const NAME: &'static str = "tokio-ct";
    type Notify = tokio::sync::Notify;

    fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("building tokio's current_thread runtime");
        TokioCt { runtime }
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    fn spawn<F>(future: F) -> impl Future<Output = F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handle = tokio::spawn(future);
        async move { handle.await.expect("a tokio task panicked") }
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        tokio::task::yield_now()
    }
}

impl Notify for tokio::sync::Notify {
    fn new() -> Self {
        tokio::sync::Notify::new()
    }

    fn notify_one(&self) {
        tokio::sync::Notify::notify_one(self)
    }

    fn notified(&self) -> impl Future<Output = ()> + Send + '_ {
        tokio::sync::Notify::notified(self)
    }
}

/// `anchor-rust-vtable`: [`mini::Executor`], task wakers from a
/// hand-written `RawWakerVTable`; idle, it parks its thread with
/// `std::thread::park`.
impl Executor for mini::Executor {
    const NAME: &'static str = "rust-vtable";
    type Notify = mini::Notify;

    fn new() -> Self {
        mini::Executor::new()
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        mini::Executor::block_on(self, future)
    }

    fn spawn<F>(future: F) -> impl Future<Output = F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        mini::spawn(future)
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        mini::yield_now()
    }
}

impl Notify for mini::Notify {
    fn new() -> Self {
        mini::Notify::new()
    }

    fn notify_one(&self) {
        mini::Notify::notify_one(self)
    }

    fn notified(&self) -> impl Future<Output = ()> + Send + '_ {
        mini::Notify::notified(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads;

    /// Every workload returns its exact result on executor `E`.
    fn check_workloads<E: Executor>() {
        let ex = E::new();
        for _ in 0..2 {
            assert_eq!(
                workloads::spawn(&ex, 1000),
                1000 * 1001 / 2,
                "{} Spawn",
                E::NAME
            );
            assert_eq!(workloads::chain(&ex, 1000), 1000, "{} Chain", E::NAME);
            assert_eq!(workloads::yield_many(&ex, 20, 10), 200, "{} Yield", E::NAME);
            assert_eq!(
                workloads::ping_pong_same(&ex, 500),
                500,
                "{} PingPong",
                E::NAME
            );
            assert_eq!(
                workloads::wake_external(&ex, 50),
                50,
                "{} WakeExternal",
                E::NAME
            );
        }
    }

    #[test]
    fn tokio_ct_workloads() {
        check_workloads::<TokioCt>();
    }

    #[test]
    fn rust_vtable_workloads() {
        check_workloads::<mini::Executor>();
    }
}
