//! Conversations: the engine with a state store.

use std::time::Instant;

use crate::{Engine, Input, Reply, StateStore, StoreError, UserKey, UserState};

/// The engine and the store together: load a user's state, take the turn, store the new state
/// durably, then return the reply.
#[derive(Debug)]
pub struct Conversations<S> {
    engine: Engine,
    store: S,
}

impl<S: StateStore> Conversations<S> {
    /// Wraps an engine and a store.
    pub fn new(engine: Engine, store: S) -> Conversations<S> {
        Conversations { engine, store }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Handles one message from `user` at time `now` (seconds since the Unix epoch). The new
    /// state is stored durably before the reply is returned.
    pub fn handle(&self, user: &UserKey, input: &Input, now: u64) -> Result<Reply, StoreError> {
        let started = Instant::now();
        let state = self.store.load(user)?.unwrap_or_default();
        let (mut reply, mut next) = self.engine.turn(&state, input);
        next.updated_at = now;
        reply.micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.store.save(user, &next)?;
        Ok(reply)
    }

    /// Everything stored about `user`, if anything.
    pub fn export(&self, user: &UserKey) -> Result<Option<UserState>, StoreError> {
        self.store.load(user)
    }

    /// Deletes everything stored about `user`; true when there was something.
    pub fn forget(&self, user: &UserKey) -> Result<bool, StoreError> {
        self.store.delete(user)
    }
}
