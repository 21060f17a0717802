//! `--repeat N`: success rate, latency percentiles and CPU per call.

use std::time::Duration;

/// Process CPU time (user + system, all threads).
pub fn cpu_time() -> Duration {
    use nix::sys::resource::{UsageWho, getrusage};
    match getrusage(UsageWho::RUSAGE_SELF) {
        Ok(u) => {
            let to = |t: nix::sys::time::TimeVal| {
                Duration::from_secs(t.tv_sec() as u64) + Duration::from_micros(t.tv_usec() as u64)
            };
            to(u.user_time()) + to(u.system_time())
        }
        Err(_) => Duration::ZERO,
    }
}

/// The value at quantile `q` (0..=1) of sorted samples, nearest-rank.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub struct Summary {
    pub runs: usize,
    pub ok: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub cpu_per_call: Duration,
}

impl Summary {
    pub fn new(mut latencies_ms: Vec<f64>, ok: usize, cpu: Duration) -> Self {
        latencies_ms.sort_by(|a, b| a.total_cmp(b));
        let runs = latencies_ms.len();
        Summary {
            runs,
            ok,
            p50_ms: percentile(&latencies_ms, 0.50),
            p95_ms: percentile(&latencies_ms, 0.95),
            cpu_per_call: cpu / runs.max(1) as u32,
        }
    }

    pub fn line(&self) -> String {
        format!(
            "quarry: {} runs, {} ok ({:.1}%), latency p50 {:.3} ms, p95 {:.3} ms, cpu {:.1} µs/call",
            self.runs,
            self.ok,
            100.0 * self.ok as f64 / self.runs.max(1) as f64,
            self.p50_ms,
            self.p95_ms,
            self.cpu_per_call.as_secs_f64() * 1e6,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), 50.0);
        assert_eq!(percentile(&v, 0.95), 95.0);
        assert_eq!(percentile(&[7.0], 0.95), 7.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }

    #[test]
    fn cpu_time_moves() {
        let t0 = cpu_time();
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(cpu_time() > t0);
    }
}
