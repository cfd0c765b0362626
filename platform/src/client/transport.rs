//! The plumbing under each attempt: the HTTP client, backoff, error details.

use std::time::Duration;

use bytes::Bytes;
use rand::Rng;

use super::ClientSettings;

/// No backoff waits longer than this, whatever the attempt.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// At most this much of a failed response's body goes into an error's detail.
const MAX_DETAIL_BODY: usize = 512;

/// Full jitter: a random wait in `[0, base * 2^attempt]`, capped.
pub(super) fn backoff(base: Duration, attempt: u32) -> Duration {
    let ceiling = base
        .saturating_mul(1_u32 << attempt.min(16))
        .min(MAX_BACKOFF);
    let micros = u64::try_from(ceiling.as_micros()).unwrap_or(u64::MAX);
    Duration::from_micros(rand::thread_rng().gen_range(0..=micros))
}

/// The client every call of one dependency shares; `timeout` bounds a whole
/// attempt, from connecting to the last byte of the body.
pub(super) fn http_client(settings: &ClientSettings, user_agent: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(user_agent)
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout)
        // Below the ALB's 60 s idle timeout, so a pooled connection is never
        // one the load balancer has already closed.
        .pool_idle_timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_else(|err| {
            tracing::error!(error = %err, "building the HTTP client failed; using the defaults");
            reqwest::Client::new()
        })
}

/// An error and its sources, `outer: inner: innermost`.
pub(super) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

pub(super) fn snippet(body: &Bytes) -> String {
    let text = String::from_utf8_lossy(body);
    match text.char_indices().nth(MAX_DETAIL_BODY) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_waits_at_most_base_times_two_to_the_attempt() {
        let base = Duration::from_millis(10);
        for attempt in 0..4 {
            let ceiling = base * 2_u32.pow(attempt);
            for _ in 0..200 {
                assert!(backoff(base, attempt) <= ceiling, "attempt {attempt}");
            }
        }
        assert!(backoff(Duration::from_secs(1), 40) <= MAX_BACKOFF);
    }

    #[test]
    fn long_bodies_are_cut_in_error_details() {
        let body = Bytes::from("é".repeat(2 * MAX_DETAIL_BODY));
        assert_eq!(snippet(&body).chars().count(), MAX_DETAIL_BODY + 3);
    }
}
