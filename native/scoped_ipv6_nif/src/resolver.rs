//! A bounded pool of threads for blocking lookups. `getaddrinfo(3)` may
//! block as long as DNS does (10 s against a silent server with glibc's
//! defaults) and cannot be interrupted, so it must not run on a scheduler;
//! one thread per lookup let a burst of lookups make threads without end.
//! Here at most `max_threads` run and `max_queued` wait; beyond that a
//! lookup is refused at once. A caller that gives up cancels its
//! [`Ticket`]: a queued lookup is then skipped, a running one delivers
//! nothing.

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// Why a lookup was not taken.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// `max_threads` lookups run and `max_queued` wait.
    #[error("too many lookups in progress")]
    Full,
    /// No thread runs, and none could be made.
    #[error(transparent)]
    Spawn(io::Error),
}

/// One caller's claim on a lookup's answer.
#[derive(Debug, Default)]
pub struct Ticket {
    cancelled: Mutex<bool>,
}

impl Ticket {
    /// After this returns, `deliver` runs nothing for this ticket.
    pub fn cancel(&self) {
        *lock(&self.cancelled) = true;
    }

    pub fn is_cancelled(&self) -> bool {
        *lock(&self.cancelled)
    }

    /// Runs `send` unless cancelled, under the ticket's lock, so that a
    /// caller who cancels and then flushes its mailbox sees no late answer.
    pub fn deliver(&self, send: impl FnOnce()) {
        let cancelled = lock(&self.cancelled);
        if !*cancelled {
            send();
        }
    }
}

type Job = Box<dyn FnOnce(&Ticket) + Send>;

pub struct Pool {
    max_threads: usize,
    max_queued: usize,
    /// A thread idle this long exits, so a burst leaves no threads behind.
    idle: Duration,
    state: Mutex<State>,
    work: Condvar,
}

struct State {
    queue: VecDeque<(Arc<Ticket>, Job)>,
    /// Jobs a thread has taken and not finished.
    busy: usize,
    threads: usize,
    idle: usize,
}

impl Pool {
    pub const fn new(max_threads: usize, max_queued: usize, idle: Duration) -> Self {
        Pool {
            max_threads,
            max_queued,
            idle,
            state: Mutex::new(State {
                queue: VecDeque::new(),
                busy: 0,
                threads: 0,
                idle: 0,
            }),
            work: Condvar::new(),
        }
    }

    /// Queues `job`; it runs on a pool thread unless `ticket` is
    /// cancelled first.
    pub fn submit(
        &'static self,
        ticket: Arc<Ticket>,
        job: impl FnOnce(&Ticket) + Send + 'static,
    ) -> Result<(), Refused> {
        let mut state = lock(&self.state);
        let limit = self.max_threads + self.max_queued;
        if state.busy + state.queue.len() >= limit {
            // Callers that gave up leave their lookups here: make room.
            state.queue.retain(|(ticket, _)| !ticket.is_cancelled());
            if state.busy + state.queue.len() >= limit {
                return Err(Refused::Full);
            }
        }
        state.queue.push_back((ticket, Box::new(job)));
        if state.queue.len() > state.idle && state.threads < self.max_threads {
            let spawned = std::thread::Builder::new()
                .name("scoped_ipv6_resolver".into())
                .spawn(move || self.work());
            match spawned {
                Ok(_) => state.threads += 1,
                // The queued job waits for a running thread.
                Err(_) if state.threads > 0 => {}
                Err(err) => {
                    state.queue.pop_back();
                    return Err(Refused::Spawn(err));
                }
            }
        }
        self.work.notify_one();
        Ok(())
    }

    /// Threads running now (for tests and diagnostics).
    pub fn threads(&self) -> usize {
        lock(&self.state).threads
    }

    fn work(&self) {
        let mut state = lock(&self.state);
        loop {
            if let Some((ticket, job)) = state.queue.pop_front() {
                state.busy += 1;
                drop(state);
                if !ticket.is_cancelled() {
                    // A panic is a bug; it must not cost the pool a thread count.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&ticket)));
                }
                state = lock(&self.state);
                state.busy -= 1;
                continue;
            }
            state.idle += 1;
            let (woken, wait) = self
                .work
                .wait_timeout(state, self.idle)
                .unwrap_or_else(PoisonError::into_inner);
            state = woken;
            state.idle -= 1;
            if wait.timed_out() && state.queue.is_empty() {
                state.threads -= 1;
                return;
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
#[path = "resolver_tests.rs"]
mod tests;
