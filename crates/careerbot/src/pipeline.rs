//! Taking the turns of a stream of messages in parallel and answering them in order: how
//! `chat --jsonl` and `careerbot bench` run.
//!
//! The caller's thread reads the messages and hands each turn to one of `workers` threads,
//! always the same one for the same user, so that one user's turns are taken in the order they
//! came. A worker takes the turn (the new state is written, not yet durable) and goes on to the
//! next. One more thread puts the results back in order, waits until each turn's state is
//! durable (one flush covers every turn written before it started) and only then gives its
//! reply to the sink.

use std::collections::BTreeMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use engine::{Conversations, Input, Reply, StateStore, StoreError, UserKey, Written};

/// How many turns may wait for a worker, per worker.
const QUEUE: usize = 256;
/// How many results may wait to be put in order and settled.
const RESULTS: usize = 1024;
/// At most this many items are under way (read but not yet given to the sink): a slow turn
/// holds the others up rather than letting them pile up in memory.
const IN_FLIGHT: u64 = 4096;

/// Something that takes turns in two steps: `take` stores the new state, and `settle` waits
/// until it is durable. `Conversations` is the real one; the bench also runs the store alone.
pub trait Turns: Sync {
    /// A turn taken, not yet durable.
    type Taken: Send;
    /// Takes a turn.
    fn take(&self, user: &UserKey, input: &Input, now: u64) -> Result<Self::Taken, StoreError>;
    /// Waits until the turn's state is durable; gives its reply.
    fn settle(&self, taken: Self::Taken) -> Result<Reply, StoreError>;
}

impl<S: StateStore> Turns for Conversations<S> {
    type Taken = Written;

    fn take(&self, user: &UserKey, input: &Input, now: u64) -> Result<Written, StoreError> {
        self.take_turn(user, input, now)
    }

    fn settle(&self, taken: Written) -> Result<Reply, StoreError> {
        Conversations::settle(self, taken)
    }
}

/// One item of the stream: a turn to take, or something to pass to the sink in its place in
/// the order (such as an error about an unreadable line).
pub enum Item<T, P> {
    /// A message from `user`; `tag` goes to the sink with the reply.
    Turn {
        /// Who sent it.
        user: UserKey,
        /// What they sent.
        input: Input,
        /// When, in seconds since the Unix epoch.
        now: u64,
        /// Whatever the sink needs with the reply.
        tag: T,
    },
    /// No turn: this goes to the sink as it is.
    Pass(P),
}

/// What the sink is given for each item, in the order of the items.
pub enum Done<T, P> {
    /// A turn's reply, whose state is durable, with the turn's tag.
    Reply(T, Reply),
    /// An item passed through.
    Pass(P),
}

/// Counts items handed to the workers and given to the sink, so that a stop signal can let the
/// turns under way finish (see `Control::stop`).
#[derive(Debug, Default)]
pub struct Control {
    progress: Mutex<Progress>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct Progress {
    stopping: bool,
    started: u64,
    finished: u64,
}

impl Control {
    /// Takes no more items, then waits (at most `grace`) until every item already taken has
    /// been given to the sink. True when they all were.
    pub fn stop(&self, grace: Duration) -> bool {
        let mut progress = self.lock();
        progress.stopping = true;
        let deadline = Instant::now() + grace;
        while progress.finished < progress.started {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            progress = self
                .changed
                .wait_timeout(progress, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }

    /// Counts an item in, once fewer than `IN_FLIGHT` are under way; false when stopping.
    pub fn start(&self) -> bool {
        let mut progress = self.lock();
        while !progress.stopping && progress.started - progress.finished >= IN_FLIGHT {
            progress = self
                .changed
                .wait(progress)
                .unwrap_or_else(PoisonError::into_inner);
        }
        progress.started += u64::from(!progress.stopping);
        !progress.stopping
    }

    /// Counts an item out: given to the sink.
    pub fn finish(&self) {
        self.lock().finished += 1;
        self.changed.notify_all();
    }

    /// Takes no more items: the sink has stopped.
    fn close(&self) {
        self.lock().stopping = true;
        self.changed.notify_all();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A turn handed to a worker, numbered in the order of the stream.
struct Job<T> {
    number: u64,
    user: UserKey,
    input: Input,
    now: u64,
    tag: T,
}

/// A result on its way to be put in order.
enum Outcome<T, P, K> {
    Taken(T, Result<K, StoreError>),
    Pass(P),
}

/// A result and its number in the stream.
type Numbered<T, P, K> = (u64, Outcome<T, P, K>);

/// Runs `items` through `workers` threads and gives the sink every reply (once durable) and
/// every passed item, in the order of `items`. Stops at the first error: from the store, or
/// from the sink.
pub fn run<R, T, P, E>(
    turns: &R,
    workers: usize,
    items: impl IntoIterator<Item = Item<T, P>>,
    control: &Control,
    mut sink: impl FnMut(Done<T, P>) -> Result<(), E> + Send,
) -> Result<(), E>
where
    R: Turns,
    T: Send,
    P: Send,
    E: From<StoreError> + Send,
{
    let workers = workers.max(1);
    let hasher = RandomState::new();
    std::thread::scope(|scope| {
        let (results, ordered) = sync_channel::<Numbered<T, P, R::Taken>>(RESULTS);
        let mut queues: Vec<SyncSender<Job<T>>> = Vec::with_capacity(workers);
        for _ in 0..workers {
            let (queue, jobs) = sync_channel::<Job<T>>(QUEUE);
            let results = results.clone();
            scope.spawn(move || work(turns, &jobs, &results));
            queues.push(queue);
        }
        let sink = scope.spawn(move || settle(turns, &ordered, control, &mut sink));
        for (number, item) in (0_u64..).zip(items) {
            if !control.start() {
                break;
            }
            let sent = match item {
                Item::Turn {
                    user,
                    input,
                    now,
                    tag,
                } => {
                    let worker = (hasher.hash_one(&user) % queues.len() as u64) as usize;
                    let job = Job {
                        number,
                        user,
                        input,
                        now,
                        tag,
                    };
                    queues[worker].send(job).is_ok()
                }
                Item::Pass(tag) => results.send((number, Outcome::Pass(tag))).is_ok(),
            };
            // The sink stopped (an error): stop reading.
            if !sent {
                break;
            }
        }
        drop(queues);
        drop(results);
        match sink.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// A worker: takes the turns of its queue one after another.
fn work<R: Turns, T, P>(
    turns: &R,
    jobs: &Receiver<Job<T>>,
    results: &SyncSender<Numbered<T, P, R::Taken>>,
) {
    for job in jobs {
        let taken = turns.take(&job.user, &job.input, job.now);
        if results
            .send((job.number, Outcome::Taken(job.tag, taken)))
            .is_err()
        {
            return;
        }
    }
}

/// Puts results in order, settles each turn and gives it to the sink.
fn settle<R: Turns, T, P, E: From<StoreError>>(
    turns: &R,
    results: &Receiver<Numbered<T, P, R::Taken>>,
    control: &Control,
    sink: &mut impl FnMut(Done<T, P>) -> Result<(), E>,
) -> Result<(), E> {
    /// Closes the control when the sink stops, however it stops.
    struct Closing<'a>(&'a Control);
    impl Drop for Closing<'_> {
        fn drop(&mut self) {
            self.0.close();
        }
    }
    let _closing = Closing(control);
    let mut waiting: BTreeMap<u64, Outcome<T, P, R::Taken>> = BTreeMap::new();
    let mut next = 0;
    for (number, outcome) in results {
        waiting.insert(number, outcome);
        while let Some(outcome) = waiting.remove(&next) {
            next += 1;
            let done = match outcome {
                Outcome::Taken(tag, taken) => Done::Reply(tag, turns.settle(taken?)?),
                Outcome::Pass(tag) => Done::Pass(tag),
            };
            sink(done)?;
            control.finish();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    /// Turns that remember, per user, the order in which they were taken; a turn whose text is
    /// "fail" fails.
    #[derive(Default)]
    struct Recorder {
        taken: Mutex<Vec<(String, String)>>,
        settled: AtomicU64,
    }

    impl Turns for Recorder {
        type Taken = Reply;

        fn take(&self, user: &UserKey, input: &Input, _now: u64) -> Result<Reply, StoreError> {
            if input.text == "fail" {
                return Err(StoreError::Storage("disk full".into()));
            }
            let mut taken = self.taken.lock().expect("lock");
            taken.push((user.to_string(), input.text.clone()));
            Ok(Reply {
                text: format!("{user}: {}", input.text),
                ..Reply::default()
            })
        }

        fn settle(&self, taken: Reply) -> Result<Reply, StoreError> {
            self.settled.fetch_add(1, Ordering::SeqCst);
            Ok(taken)
        }
    }

    fn items(texts: &[(&str, &str)]) -> Vec<Item<usize, usize>> {
        texts
            .iter()
            .enumerate()
            .map(|(n, (user, text))| match *user {
                "" => Item::Pass(n),
                user => Item::Turn {
                    user: UserKey::new("cli", user),
                    input: Input::text(*text),
                    now: 0,
                    tag: n,
                },
            })
            .collect()
    }

    #[test]
    fn replies_come_out_in_order_and_each_users_turns_are_taken_in_order() {
        let mut script = Vec::new();
        let texts: Vec<String> = (0..300).map(|n| n.to_string()).collect();
        for (n, text) in texts.iter().enumerate() {
            let user = ["a", "b", "c", "d", ""][n % 5];
            script.push((user, text.as_str()));
        }
        let recorder = Recorder::default();
        let mut seen = Vec::new();
        run(
            &recorder,
            3,
            items(&script),
            &Control::default(),
            |done| -> Result<(), StoreError> {
                seen.push(match done {
                    Done::Reply(n, reply) => {
                        assert!(reply.text.ends_with(&format!(": {n}")), "{}", reply.text);
                        n
                    }
                    Done::Pass(n) => n,
                });
                Ok(())
            },
        )
        .expect("no error");
        assert_eq!(seen, (0..300).collect::<Vec<_>>());
        assert_eq!(recorder.settled.load(Ordering::SeqCst), 240);
        let taken = recorder.taken.lock().expect("lock");
        for user in ["cli:a", "cli:b", "cli:c", "cli:d"] {
            let order: Vec<u32> = taken
                .iter()
                .filter(|(u, _)| u == user)
                .map(|(_, text)| text.parse().expect("number"))
                .collect();
            assert!(order.windows(2).all(|w| w[0] < w[1]), "{user}: {order:?}");
        }
    }

    #[test]
    fn the_first_error_stops_the_run_after_the_replies_before_it() {
        let script = [("a", "one"), ("b", "two"), ("a", "fail"), ("b", "three")];
        let mut seen = Vec::new();
        let result = run(
            &Recorder::default(),
            2,
            items(&script),
            &Control::default(),
            |done| -> Result<(), StoreError> {
                if let Done::Reply(n, _) = done {
                    seen.push(n);
                }
                Ok(())
            },
        );
        assert!(result.is_err());
        assert_eq!(seen, [0, 1]);
    }

    #[test]
    fn a_stopped_run_takes_no_more_items() {
        let control = Control::default();
        assert!(control.stop(Duration::ZERO), "nothing under way");
        let mut seen = 0;
        run(
            &Recorder::default(),
            2,
            items(&[("a", "one")]),
            &control,
            |_| -> Result<(), StoreError> {
                seen += 1;
                Ok(())
            },
        )
        .expect("no error");
        assert_eq!(seen, 0);
    }
}
