//! One queue per user, so that a user's messages are answered one after another, in the order
//! they were sent.
//!
//! serenity hands every gateway event to a task of its own, so two messages from one user can
//! reach the handler in either order, and their turns and replies could interleave. Each event
//! is queued under its user with its snowflake id (ids grow with the time Discord created the
//! message or interaction); one task per user with work waiting runs the queue, smallest id
//! first, each job to its end (the turn and every message sent) before the next starts. Users
//! do not wait for each other.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use tracing::{debug, error};

/// A user's queue holds at most this many jobs waiting; more are dropped (the user is flooding,
/// and flood control would silence them anyway).
pub(crate) const MAX_WAITING: usize = 32;

/// How many times a new queue yields to other tasks before it starts: enough for events spawned
/// in the same burst to be queued in id order.
const REORDER_YIELDS: usize = 4;

/// Work for one event: take the turn and send the reply.
pub(crate) type Job = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// The users with work waiting or under way, each with their jobs by snowflake id.
#[derive(Default)]
pub(crate) struct Queues {
    users: Mutex<HashMap<u64, BTreeMap<u64, Job>>>,
}

impl Queues {
    /// Queues `job` for `user` under the event's snowflake `id`; it runs after the user's jobs
    /// with smaller ids that are waiting or under way. Must be called within a tokio runtime.
    pub(crate) fn push(self: &Arc<Self>, user: u64, id: u64, job: Job) {
        let mut users = self.lock();
        if let Some(waiting) = users.get_mut(&user) {
            // A task is running this user's queue: it will come to this job.
            if waiting.len() >= MAX_WAITING {
                debug!(user, "queue full: message dropped");
                return;
            }
            waiting.insert(id, job);
            return;
        }
        users.insert(user, BTreeMap::from([(id, job)]));
        drop(users);
        let queues = Arc::clone(self);
        tokio::spawn(async move { queues.run(user).await });
    }

    /// Runs `user`'s jobs in id order until none is left, then removes the queue.
    async fn run(self: Arc<Self>, user: u64) {
        for _ in 0..REORDER_YIELDS {
            tokio::task::yield_now().await;
        }
        loop {
            let job = {
                let mut users = self.lock();
                let Some(waiting) = users.get_mut(&user) else {
                    return;
                };
                match waiting.pop_first() {
                    Some((_, job)) => job,
                    None => {
                        users.remove(&user);
                        return;
                    }
                }
            };
            // Its own task, so that a panic fails this job only, not the queue.
            if let Err(failure) = tokio::spawn(job).await {
                error!(user, "a turn failed: {failure}");
            }
        }
    }

    /// How many users have work waiting or under way.
    #[cfg(test)]
    fn busy_users(&self) -> usize {
        self.lock().len()
    }

    /// How many of `user`'s jobs are waiting (not counting one under way).
    #[cfg(test)]
    fn waiting(&self, user: u64) -> usize {
        self.lock().get(&user).map_or(0, BTreeMap::len)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, BTreeMap<u64, Job>>> {
        self.users.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::sync::{Notify, mpsc};

    use super::*;

    /// A job that records `(user, id)` when it runs, after waiting for `gate` if given.
    fn job(
        log: &mpsc::UnboundedSender<(u64, u64)>,
        user: u64,
        id: u64,
        gate: Option<Arc<Notify>>,
    ) -> Job {
        let log = log.clone();
        Box::pin(async move {
            if let Some(gate) = gate {
                gate.notified().await;
            }
            let _ = log.send((user, id));
        })
    }

    async fn next(log: &mut mpsc::UnboundedReceiver<(u64, u64)>) -> (u64, u64) {
        tokio::time::timeout(Duration::from_secs(10), log.recv())
            .await
            .expect("a job ran in time")
            .expect("the log is open")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_users_jobs_run_one_at_a_time_in_id_order_and_users_do_not_wait_for_each_other() {
        let queues = Arc::new(Queues::default());
        let (log, mut ran) = mpsc::unbounded_channel();
        let gate = Arc::new(Notify::new());
        // Alice's first job holds her queue until the gate opens.
        queues.push(1, 10, job(&log, 1, 10, Some(Arc::clone(&gate))));
        // Her later messages reach the handler out of order.
        queues.push(1, 30, job(&log, 1, 30, None));
        queues.push(1, 20, job(&log, 1, 20, None));
        // Bob is answered while Alice's queue is held.
        queues.push(2, 25, job(&log, 2, 25, None));
        assert_eq!(next(&mut ran).await, (2, 25));
        gate.notify_one();
        assert_eq!(next(&mut ran).await, (1, 10));
        assert_eq!(next(&mut ran).await, (1, 20));
        assert_eq!(next(&mut ran).await, (1, 30));
        for _ in 0..100 {
            if queues.busy_users() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(queues.busy_users(), 0, "idle queues are removed");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_job_does_not_stop_the_queue_and_a_flood_is_capped() {
        let queues = Arc::new(Queues::default());
        let (log, mut ran) = mpsc::unbounded_channel();
        let gate = Arc::new(Notify::new());
        queues.push(1, 1, job(&log, 1, 1, Some(Arc::clone(&gate))));
        while queues.waiting(1) > 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // Job 1 is under way; from here on, at most `MAX_WAITING` jobs wait.
        queues.push(1, 2, Box::pin(async { panic!("a turn panicked") }));
        for id in 3..3 + 2 * MAX_WAITING as u64 {
            queues.push(1, id, job(&log, 1, id, None));
        }
        gate.notify_one();
        assert_eq!(next(&mut ran).await, (1, 1));
        // The panic is logged; the jobs after it run, up to the cap of waiting jobs.
        let mut ids = Vec::new();
        for _ in 0..MAX_WAITING - 1 {
            ids.push(next(&mut ran).await.1);
        }
        assert_eq!(ids, (3..2 + MAX_WAITING as u64).collect::<Vec<_>>());
        let more = tokio::time::timeout(Duration::from_millis(100), ran.recv()).await;
        assert!(
            more.is_err(),
            "the jobs beyond the cap were dropped: {more:?}"
        );
    }
}
