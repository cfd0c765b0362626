//! A Redis-backed fixed-window rate limiter. When Redis is down it fails
//! open: the request goes through, and the failure is logged and counted.

use std::{str::FromStr, sync::Arc, time::Duration};

use crate::{error::ApiError, metrics::Metrics, redis::RedisHandle};

/// `max` requests per `window`, written `max/seconds` in configuration (`10/60`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub max: u32,
    pub window: Duration,
}

impl RateLimit {
    pub const fn per_minute(max: u32) -> Self {
        Self {
            max,
            window: Duration::from_secs(60),
        }
    }
}

impl FromStr for RateLimit {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (max, secs) = s
            .split_once('/')
            .ok_or_else(|| format!("expected <max>/<seconds>, got {s:?}"))?;
        let max: u32 = max
            .trim()
            .parse()
            .map_err(|e| format!("bad max in {s:?}: {e}"))?;
        let secs: u64 = secs
            .trim()
            .parse()
            .map_err(|e| format!("bad seconds in {s:?}: {e}"))?;
        if max == 0 || secs == 0 {
            return Err(format!("max and seconds must be above zero in {s:?}"));
        }
        Ok(Self {
            max,
            window: Duration::from_secs(secs),
        })
    }
}

/// Increments the window's counter, starting its expiry on the first hit.
const SCRIPT: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
";

#[derive(Clone)]
pub struct RateLimiter {
    redis: Arc<RedisHandle>,
    metrics: Arc<Metrics>,
    script: Arc<redis::Script>,
}

impl RateLimiter {
    pub fn new(redis: Arc<RedisHandle>, metrics: Arc<Metrics>) -> Self {
        Self {
            redis,
            metrics,
            script: Arc::new(redis::Script::new(SCRIPT)),
        }
    }

    /// Counts one request of `client` against `limit` under `name`; 429 with
    /// `Retry-After` once the window is full.
    pub async fn check(&self, name: &str, client: &str, limit: RateLimit) -> Result<(), ApiError> {
        match self.count(name, client, limit).await {
            Ok((count, ttl_ms)) if count > u64::from(limit.max) => Err(ApiError::TooManyRequests {
                retry_after_secs: (ttl_ms.max(0) as u64).div_ceil(1000),
            }),
            Ok(_) => Ok(()),
            Err(err) => {
                self.fail_open(name, &err);
                Ok(())
            }
        }
    }
}

/// A failure-counting window: read before the attempt (without counting it),
/// counted only when the attempt failed, so that only failures, and only
/// those of the key's own client, can block a key.
impl RateLimiter {
    /// 429 once `key` has failed `limit.max` times in the window.
    pub async fn check_failures(
        &self,
        name: &str,
        key: &str,
        limit: RateLimit,
    ) -> Result<(), ApiError> {
        let key = self.redis.key(&format!("rl:{name}:{key}"));
        let outcome: redis::RedisResult<(Option<u64>, i64)> = async {
            let mut conn = self.redis.conn().await?;
            redis::pipe()
                .get(&key)
                .pttl(&key)
                .query_async(&mut conn)
                .await
        }
        .await;
        match outcome {
            Ok((Some(failures), ttl_ms)) if failures >= u64::from(limit.max) => {
                Err(ApiError::TooManyRequests {
                    retry_after_secs: (ttl_ms.max(0) as u64).div_ceil(1000),
                })
            }
            Ok(_) => Ok(()),
            Err(err) => {
                self.fail_open(name, &err);
                Ok(())
            }
        }
    }

    /// Counts one failure of `key` in `limit`'s window.
    pub async fn record_failure(&self, name: &str, key: &str, limit: RateLimit) {
        if let Err(err) = self.count(name, key, limit).await {
            self.fail_open(name, &err);
        }
    }

    /// Adds one to `key`'s window under `name`: (count, ms left in the window).
    async fn count(
        &self,
        name: &str,
        key: &str,
        limit: RateLimit,
    ) -> redis::RedisResult<(u64, i64)> {
        let key = self.redis.key(&format!("rl:{name}:{key}"));
        let window_ms = limit.window.as_millis() as u64;
        let mut conn = self.redis.conn().await?;
        self.script
            .key(&key)
            .arg(window_ms)
            .invoke_async(&mut conn)
            .await
    }

    fn fail_open(&self, name: &str, err: &redis::RedisError) {
        tracing::warn!(error = %err, limiter = name, "rate limiter unavailable; failing open");
        self.metrics
            .record_degraded("redis", "rate_limit_fail_open");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_from_configuration() {
        assert_eq!(
            "10/60".parse::<RateLimit>().unwrap(),
            RateLimit {
                max: 10,
                window: Duration::from_secs(60)
            }
        );
        for bad in ["10", "0/60", "10/0", "x/60", "10/y"] {
            assert!(
                bad.parse::<RateLimit>().is_err(),
                "{bad} should be rejected"
            );
        }
    }
}
