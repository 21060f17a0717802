//! Token usage, summed over attempts.

use std::ops::AddAssign;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    /// Prompt tokens served from the provider's cache, when it reports them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub cached_tokens: Option<u64>,
    /// Prompt tokens written to the provider's cache (Anthropic bills them above the input
    /// price), when it reports them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub cache_write_tokens: Option<u64>,
    /// Completion tokens spent on hidden reasoning, when reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reasoning_tokens: Option<u64>,
}

fn add_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
    }
}

impl AddAssign for Usage {
    fn add_assign(&mut self, o: Usage) {
        self.prompt_tokens += o.prompt_tokens;
        self.completion_tokens += o.completion_tokens;
        self.total_tokens += o.total_tokens;
        self.cached_tokens = add_opt(self.cached_tokens, o.cached_tokens);
        self.cache_write_tokens = add_opt(self.cache_write_tokens, o.cache_write_tokens);
        self.reasoning_tokens = add_opt(self.reasoning_tokens, o.reasoning_tokens);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_optional_fields_only_when_reported() {
        let mut u = Usage {
            prompt_tokens: 10,
            completion_tokens: 5,
            total_tokens: 15,
            ..Default::default()
        };
        u += Usage {
            prompt_tokens: 1,
            completion_tokens: 2,
            total_tokens: 3,
            cached_tokens: Some(4),
            ..Default::default()
        };
        assert_eq!((u.prompt_tokens, u.total_tokens), (11, 18));
        assert_eq!(u.cached_tokens, Some(4));
        assert_eq!(u.reasoning_tokens, None);
    }
}
