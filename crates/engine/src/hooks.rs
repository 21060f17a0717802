//! Instructor's hooks: handlers called at named points of the attempt loop. Added, removed and
//! cleared per client and per call; a panicking handler is caught, reported as a
//! `hook_failed` event, and never breaks the run.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use crate::events::RunEvent;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HookName {
    /// `completion:kwargs` — the request is about to be sent.
    CompletionKwargs,
    /// `completion:response` — the raw response arrived.
    CompletionResponse,
    /// `completion:error` — the provider call failed.
    CompletionError,
    /// `parse:error` — the answer failed to parse or validate.
    ParseError,
    /// `completion:last_attempt` — the last attempt failed.
    CompletionLastAttempt,
}

impl HookName {
    pub const ALL: [HookName; 5] = [
        HookName::CompletionKwargs,
        HookName::CompletionResponse,
        HookName::CompletionError,
        HookName::ParseError,
        HookName::CompletionLastAttempt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HookName::CompletionKwargs => "completion:kwargs",
            HookName::CompletionResponse => "completion:response",
            HookName::CompletionError => "completion:error",
            HookName::ParseError => "parse:error",
            HookName::CompletionLastAttempt => "completion:last_attempt",
        }
    }

    pub fn parse(name: &str) -> Option<HookName> {
        HookName::ALL.into_iter().find(|h| h.as_str() == name)
    }

    /// The hook an event triggers, if any.
    pub fn of(event: &RunEvent) -> Option<HookName> {
        Some(match event {
            RunEvent::CompletionKwargs { .. } => HookName::CompletionKwargs,
            RunEvent::CompletionResponse { .. } => HookName::CompletionResponse,
            RunEvent::CompletionError { .. } => HookName::CompletionError,
            RunEvent::ParseError { .. } => HookName::ParseError,
            RunEvent::CompletionLastAttempt { .. } => HookName::CompletionLastAttempt,
            _ => return None,
        })
    }
}

impl fmt::Display for HookName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub type HookFn = Arc<dyn Fn(&RunEvent) + Send + Sync>;

/// Identifies one registered handler, for [`Hooks::off`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HookId(u64);

#[derive(Clone, Default)]
pub struct Hooks {
    entries: Vec<(HookId, HookName, HookFn)>,
    next: u64,
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.entries
                    .iter()
                    .map(|(id, name, _)| (id.0, name.as_str())),
            )
            .finish()
    }
}

impl Hooks {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `handler` for `name`.
    pub fn on(
        &mut self,
        name: HookName,
        handler: impl Fn(&RunEvent) + Send + Sync + 'static,
    ) -> HookId {
        self.next += 1;
        let id = HookId(self.next);
        self.entries.push((id, name, Arc::new(handler)));
        id
    }

    /// Removes one handler; false when it was not registered here.
    pub fn off(&mut self, id: HookId) -> bool {
        let before = self.entries.len();
        self.entries.retain(|(i, _, _)| *i != id);
        self.entries.len() != before
    }

    /// Removes every handler for `name`, or every handler when `name` is `None`.
    pub fn clear(&mut self, name: Option<HookName>) {
        match name {
            Some(n) => self.entries.retain(|(_, h, _)| *h != n),
            None => self.entries.clear(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The client's hooks followed by the call's.
    pub fn merged(&self, call: &Hooks) -> Hooks {
        let mut entries = self.entries.clone();
        entries.extend(call.entries.iter().cloned());
        Hooks {
            entries,
            next: self.next.max(call.next),
        }
    }

    /// Calls every handler for `name`; returns the panics caught as (hook, message).
    pub(crate) fn dispatch(&self, name: HookName, event: &RunEvent) -> Vec<(HookName, String)> {
        let mut failures = Vec::new();
        for (_, hook, handler) in &self.entries {
            if *hook != name {
                continue;
            }
            if let Err(panic) = catch_unwind(AssertUnwindSafe(|| handler(event))) {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "the handler panicked".to_string());
                failures.push((name, message));
            }
        }
        failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn last_attempt() -> RunEvent {
        RunEvent::CompletionLastAttempt {
            attempt: crate::events::AttemptInfo {
                attempt: 1,
                max_attempts: 1,
                is_last: true,
            },
            error: "x".into(),
        }
    }

    #[test]
    fn on_off_clear() {
        let count = Arc::new(AtomicUsize::new(0));
        let mut hooks = Hooks::new();
        let c = count.clone();
        let id = hooks.on(HookName::CompletionLastAttempt, move |_| {
            c.fetch_add(1, Ordering::SeqCst);
        });
        let c = count.clone();
        hooks.on(HookName::ParseError, move |_| {
            c.fetch_add(100, Ordering::SeqCst);
        });
        hooks.dispatch(HookName::CompletionLastAttempt, &last_attempt());
        assert_eq!(count.load(Ordering::SeqCst), 1);
        assert!(hooks.off(id));
        assert!(!hooks.off(id));
        hooks.dispatch(HookName::CompletionLastAttempt, &last_attempt());
        assert_eq!(count.load(Ordering::SeqCst), 1);
        hooks.clear(Some(HookName::ParseError));
        assert!(hooks.is_empty());
    }

    #[test]
    fn panics_are_caught_and_reported() {
        let mut hooks = Hooks::new();
        hooks.on(HookName::CompletionLastAttempt, |_| panic!("boom"));
        let failures = hooks.dispatch(HookName::CompletionLastAttempt, &last_attempt());
        assert_eq!(
            failures,
            vec![(HookName::CompletionLastAttempt, "boom".to_string())]
        );
    }

    #[test]
    fn names_match_instructor() {
        for h in HookName::ALL {
            assert_eq!(HookName::parse(h.as_str()), Some(h));
        }
    }
}
