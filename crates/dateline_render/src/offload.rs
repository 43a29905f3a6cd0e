//! Where rendering runs when a request or a save asks for it: on tokio's
//! blocking threads, never on the threads that serve requests, at most
//! `concurrency()` at once, and answered within `TIME_LIMIT`.
//!
//! A render past its time limit cannot be stopped; it keeps its place
//! until it ends, so the limit on how many run at once holds even then.

use crate::RenderError;
use std::sync::LazyLock;
use std::time::Duration;
use tokio::sync::Semaphore;

/// How long a caller waits for a render, its turn included.
pub const TIME_LIMIT: Duration = Duration::from_secs(10);

/// Renders at once: one core is left to serve readers.
fn concurrency() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get().saturating_sub(1))
        .max(1)
}

static TURNS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(concurrency()));

/// Runs `work` on a blocking thread, in turn with the other renders.
pub async fn offload<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, RenderError> + Send + 'static,
) -> Result<T, RenderError> {
    let run = async {
        let turn = TURNS.acquire().await.map_err(|_| RenderError::Failed)?;
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            work()
        })
        .await
        .map_err(|_| RenderError::Failed)?
    };
    tokio::time::timeout(TIME_LIMIT, run)
        .await
        .map_err(|_| RenderError::TimedOut {
            seconds: TIME_LIMIT.as_secs(),
        })?
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[tokio::test(flavor = "current_thread")]
    async fn the_serving_thread_stays_free() {
        let started = Instant::now();
        let slow = offload(move || {
            std::thread::sleep(Duration::from_millis(400));
            Ok(started.elapsed())
        });
        let quick = async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            started.elapsed()
        };
        let (slow, quick) = tokio::join!(slow, quick);
        assert!(slow.unwrap() >= Duration::from_millis(400));
        assert!(quick < Duration::from_millis(300), "waited {quick:?}");
        assert_eq!(
            offload(|| Err::<(), _>(RenderError::Unsettled)).await,
            Err(RenderError::Unsettled)
        );
    }
}
