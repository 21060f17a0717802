//! Prices per provider and model (a JSON file the user can edit), and what a call cost.

use std::path::Path;

use quarry_engine::Usage;
use serde::{Deserialize, Serialize};

/// USD per 1 million tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Price {
    pub provider: String,
    /// A model name, or a prefix ending in `*`.
    pub model: String,
    pub input: f64,
    /// For prompt tokens served from the provider's cache; `input` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub cached_input: Option<f64>,
    /// For prompt tokens written to the provider's cache (Anthropic charges 1.25× input for
    /// them); `input` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub cache_write: Option<f64>,
    pub output: f64,
}

impl Price {
    /// The cost of `usage` in USD: uncached prompt tokens, cache reads, cache writes and
    /// completion tokens each at their rate (reasoning tokens are part of the completion
    /// count; cache reads and writes are part of the prompt count).
    pub fn cost(&self, usage: &Usage) -> f64 {
        let cached = usage.cached_tokens.unwrap_or(0).min(usage.prompt_tokens);
        let written = usage
            .cache_write_tokens
            .unwrap_or(0)
            .min(usage.prompt_tokens - cached);
        let fresh = usage.prompt_tokens - cached - written;
        (fresh as f64 * self.input
            + cached as f64 * self.cached_input.unwrap_or(self.input)
            + written as f64 * self.cache_write.unwrap_or(self.input)
            + usage.completion_tokens as f64 * self.output)
            / 1e6
    }

    fn matches(&self, provider: &str, model: &str) -> Option<usize> {
        if self.provider != provider {
            return None;
        }
        match self.model.strip_suffix('*') {
            Some(prefix) => model.starts_with(prefix).then_some(prefix.len()),
            None => (self.model == model).then_some(usize::MAX),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PriceTable {
    pub prices: Vec<Price>,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("the price table {path} is not valid: {detail}")]
pub struct PriceError {
    pub path: String,
    pub detail: String,
}

impl PriceTable {
    /// The prices Quarry ships with.
    pub fn builtin() -> PriceTable {
        serde_json::from_str(include_str!("../prices.json")).unwrap_or_default()
    }

    /// The built-in table with the entries of the file at `path` (if it exists) replacing
    /// those of the same provider and model.
    pub fn with_overrides(path: &Path) -> Result<PriceTable, PriceError> {
        Ok(Self::builtin().merged(Self::user_entries(path)?))
    }

    /// This table with `user`'s entries replacing those of the same provider and model.
    pub fn merged(mut self, user: Vec<Price>) -> PriceTable {
        for p in user {
            self.prices
                .retain(|q| !(q.provider == p.provider && q.model == p.model));
            self.prices.push(p);
        }
        self
    }

    /// The entries of the user's file at `path`; none when there is no file.
    pub fn user_entries(path: &Path) -> Result<Vec<Price>, PriceError> {
        // A price table is a few kilobytes; a path such as /dev/zero must not fill memory.
        const MAX_PRICES_BYTES: u64 = 8 * 1024 * 1024;
        let error = |detail: String| PriceError {
            path: path.display().to_string(),
            detail,
        };
        let Ok(file) = std::fs::File::open(path) else {
            return Ok(Vec::new());
        };
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut std::io::Read::take(file, MAX_PRICES_BYTES + 1),
            &mut text,
        )
        .map_err(|e| error(e.to_string()))?;
        if text.len() as u64 > MAX_PRICES_BYTES {
            return Err(error("the file is larger than 8 MiB".into()));
        }
        let user: PriceTable = serde_json::from_str(&text).map_err(|e| error(e.to_string()))?;
        Ok(user.prices)
    }

    /// Writes `entries` as the user's file at `path`, whole or not at all (a crash while
    /// writing leaves the previous file). Each entry is checked first: a provider and a model,
    /// and prices that are finite and not negative.
    pub fn save_user_entries(path: &Path, entries: &[Price]) -> Result<(), PriceError> {
        let error = |detail: String| PriceError {
            path: path.display().to_string(),
            detail,
        };
        for (i, p) in entries.iter().enumerate() {
            let row = i + 1;
            if p.provider.trim().is_empty() || p.model.trim().is_empty() {
                return Err(error(format!("entry {row} needs a provider and a model")));
            }
            let rates = [
                ("input", Some(p.input)),
                ("cached input", p.cached_input),
                ("cache write", p.cache_write),
                ("output", Some(p.output)),
            ];
            for (name, rate) in rates {
                if let Some(r) = rate.filter(|r| !r.is_finite() || *r < 0.0) {
                    return Err(error(format!(
                        "entry {row} ({}/{}): the {name} price {r} is not a number of dollars of 0 or more",
                        p.provider, p.model
                    )));
                }
            }
        }
        let text = serde_json::to_string_pretty(&PriceTable {
            prices: entries.to_vec(),
        })
        .map_err(|e| error(e.to_string()))?;
        let folder = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(folder).map_err(|e| error(e.to_string()))?;
        let mut file = tempfile::NamedTempFile::new_in(folder).map_err(|e| error(e.to_string()))?;
        std::io::Write::write_all(&mut file, text.as_bytes()).map_err(|e| error(e.to_string()))?;
        file.persist(path).map_err(|e| error(e.error.to_string()))?;
        Ok(())
    }

    /// The most specific price for `provider`/`model`: an exact model, else the longest
    /// matching prefix.
    pub fn lookup(&self, provider: &str, model: &str) -> Option<&Price> {
        self.prices
            .iter()
            .filter_map(|p| p.matches(provider, model).map(|rank| (rank, p)))
            .max_by_key(|(rank, _)| *rank)
            .map(|(_, p)| p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_specific_price_wins_and_cached_tokens_are_cheaper() {
        let t = PriceTable::builtin();
        assert_eq!(
            t.lookup("openai", "gpt-4o-mini-2024-07-18").unwrap().input,
            0.15
        );
        assert_eq!(t.lookup("openai", "gpt-4o").unwrap().input, 2.50);
        assert_eq!(t.lookup("ollama", "llama3.1").unwrap().output, 0.0);
        assert!(t.lookup("groq", "llama").is_none());
        let usage = Usage {
            prompt_tokens: 1_000_000,
            completion_tokens: 100_000,
            total_tokens: 1_100_000,
            cached_tokens: Some(400_000),
            reasoning_tokens: None,
            cache_write_tokens: None,
        };
        let cost = t.lookup("openai", "gpt-4o-mini").unwrap().cost(&usage);
        // 600k fresh x 0.15 + 400k cached x 0.075 + 100k out x 0.60, per million.
        assert!((cost - (0.09 + 0.03 + 0.06)).abs() < 1e-12, "{cost}");
    }

    #[test]
    fn anthropic_cache_writes_and_reads_each_cost_their_rate() {
        let t = PriceTable::builtin();
        let p = t.lookup("anthropic", "claude-sonnet-4-5-20250929").unwrap();
        // 1M prompt tokens: 200k read from the cache, 300k written to it, 500k fresh.
        let usage = Usage {
            prompt_tokens: 1_000_000,
            completion_tokens: 100_000,
            total_tokens: 1_100_000,
            cached_tokens: Some(200_000),
            reasoning_tokens: None,
            cache_write_tokens: Some(300_000),
        };
        let expected = 0.5 * 3.00 + 0.2 * 0.30 + 0.3 * 3.75 + 0.1 * 15.00;
        assert!(
            (p.cost(&usage) - expected).abs() < 1e-12,
            "{}",
            p.cost(&usage)
        );
        // The longest prefix wins: flash-lite is not priced as flash.
        assert_eq!(
            t.lookup("gemini", "gemini-2.5-flash-lite").unwrap().input,
            0.10
        );
        assert_eq!(t.lookup("gemini", "gemini-2.5-flash").unwrap().input, 0.30);
        assert_eq!(t.lookup("lmstudio", "qwen").unwrap().input, 0.0);
    }

    #[test]
    fn a_price_file_that_never_ends_is_refused() {
        let e = PriceTable::with_overrides(Path::new("/dev/zero")).unwrap_err();
        assert!(e.to_string().contains("larger than 8 MiB"), "{e}");
    }

    #[test]
    fn a_user_file_overrides_and_extends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("prices.json");
        std::fs::write(
            &path,
            r#"{"prices": [{"provider": "openai", "model": "gpt-4o-mini*", "input": 1, "output": 2},
            {"provider": "groq", "model": "*", "input": 0.05, "output": 0.08}]}"#,
        )
        .unwrap();
        let t = PriceTable::with_overrides(&path).unwrap();
        assert_eq!(t.lookup("openai", "gpt-4o-mini").unwrap().input, 1.0);
        assert_eq!(t.lookup("groq", "llama").unwrap().output, 0.08);
        std::fs::write(&path, "{not json").unwrap();
        assert!(
            PriceTable::with_overrides(&path)
                .unwrap_err()
                .to_string()
                .contains("is not valid")
        );
        assert!(PriceTable::with_overrides(&dir.path().join("absent.json")).is_ok());
    }

    #[test]
    fn saved_entries_read_back_and_bad_ones_are_refused_leaving_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new").join("prices.json");
        let entry = |model: &str, input: f64| Price {
            provider: "groq".into(),
            model: model.into(),
            input,
            cached_input: None,
            cache_write: None,
            output: 0.5,
        };
        PriceTable::save_user_entries(&path, &[entry("llama*", 0.05)]).unwrap();
        assert_eq!(
            PriceTable::user_entries(&path).unwrap(),
            vec![entry("llama*", 0.05)]
        );
        for (bad, says) in [
            (entry("", 1.0), "needs a provider and a model"),
            (entry("x", -1.0), "the input price -1"),
            (entry("x", f64::NAN), "the input price NaN"),
        ] {
            let e = PriceTable::save_user_entries(&path, &[bad]).unwrap_err();
            assert!(e.to_string().contains(says), "{e}");
        }
        // The refused saves left the saved file as it was.
        assert_eq!(
            PriceTable::user_entries(&path).unwrap(),
            vec![entry("llama*", 0.05)]
        );
        assert!(
            PriceTable::user_entries(&dir.path().join("none.json"))
                .unwrap()
                .is_empty()
        );
    }
}
