//! Latency histograms (HDR, microseconds) and their summaries in milliseconds.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Longest latency a histogram holds exactly; longer ones are clamped to it.
const MAX_MICROS: u64 = 120_000_000;

/// A latency histogram in microseconds, 3 significant digits, 1 µs to 120 s.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("constant histogram bounds are valid")
}

pub fn record(histogram: &mut Histogram<u64>, latency: Duration) {
    let micros = u64::try_from(latency.as_micros()).unwrap_or(MAX_MICROS);
    histogram.saturating_record(micros.clamp(1, MAX_MICROS));
}

/// Percentiles of a latency distribution, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub count: u64,
    pub min_ms: f64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    pub fn of(histogram: &Histogram<u64>) -> Self {
        if histogram.is_empty() {
            return Self::default();
        }
        let ms = |micros: u64| micros as f64 / 1000.0;
        Self {
            count: histogram.len(),
            min_ms: ms(histogram.min()),
            mean_ms: histogram.mean() / 1000.0,
            p50_ms: ms(histogram.value_at_quantile(0.50)),
            p90_ms: ms(histogram.value_at_quantile(0.90)),
            p99_ms: ms(histogram.value_at_quantile(0.99)),
            p999_ms: ms(histogram.value_at_quantile(0.999)),
            max_ms: ms(histogram.max()),
        }
    }

    /// From plain samples (few, e.g. one per email), exact.
    pub fn of_samples(samples: &[Duration]) -> Self {
        let mut h = histogram();
        for s in samples {
            record(&mut h, *s);
        }
        Self::of(&h)
    }
}

/// `part / whole`, or 0 when there is no whole.
pub fn ratio(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        part / whole
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_histogram_summarises_to_zeros() {
        assert_eq!(Latency::of(&histogram()), Latency::default());
    }

    #[test]
    fn percentiles_come_out_in_milliseconds() {
        let samples: Vec<Duration> = (1..=1000).map(Duration::from_millis).collect();
        let latency = Latency::of_samples(&samples);
        assert_eq!(latency.count, 1000);
        let close = |actual: f64, expected: f64| (actual - expected).abs() <= expected * 0.002;
        assert!(close(latency.p50_ms, 500.0), "p50 {}", latency.p50_ms);
        assert!(close(latency.p99_ms, 990.0), "p99 {}", latency.p99_ms);
        assert!(close(latency.max_ms, 1000.0), "max {}", latency.max_ms);
        assert!(close(latency.min_ms, 1.0), "min {}", latency.min_ms);
        assert!(close(latency.mean_ms, 500.5), "mean {}", latency.mean_ms);
    }

    #[test]
    fn latencies_beyond_the_range_are_clamped_not_lost() {
        let mut h = histogram();
        record(&mut h, Duration::from_secs(3600));
        record(&mut h, Duration::ZERO);
        assert_eq!(h.len(), 2);
        assert!(Latency::of(&h).max_ms >= 119_000.0);
    }

    #[test]
    fn a_ratio_of_nothing_is_zero() {
        assert_eq!(ratio(5.0, 0.0), 0.0);
        assert_eq!(ratio(1.0, 4.0), 0.25);
    }
}
