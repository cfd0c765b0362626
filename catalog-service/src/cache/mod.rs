//! The product cache: cache-aside in Redis, one rebuild per key at a time,
//! and never stale after a write.
//!
//! Invalidation. A write does not delete the entry after its commit; it
//! replaces it with the committed product through a compare-and-set that only
//! stores an entry whose version is newer than the cached one (versions come
//! from the row and increase with every write). A plain DEL leaves a gap: a
//! reader that fetched the old row just before the commit could put it back
//! after the DEL and serve it for a whole TTL. With the CAS that late fill
//! finds the newer entry and is dropped, and two racing writers end with the
//! later version. A reader cannot outlive the entry it would race (requests
//! time out after seconds, entries live minutes).
//!
//! When Redis cannot be reached at write time, the write still succeeds; a
//! background retry stores the new entry as soon as Redis answers again (for
//! up to one TTL, after which any old entry has expired anyway), and until
//! then this process reads that product from Postgres. Another task that
//! reaches Redis before the retry lands could still see the old entry for
//! that moment (at most about a second after Redis returns).

mod entry;
mod settings;

pub use entry::Cached;
pub use settings::{CacheMetrics, CacheSettings};

use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, Mutex},
    time::Duration,
};

use platform::{metrics::Metrics, redis::RedisHandle};
use redis::{aio::ConnectionManager, RedisResult, Script};
use uuid::Uuid;

/// Stores `ARGV[2]` unless the entry holds the same or a newer version.
const STORE_IF_NEWER: &str = r"
local current = redis.call('GET', KEYS[1])
if current then
  local version = tonumber(string.match(current, '^(%d+):'))
  if version and version >= tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
";

/// Releases the rebuild lock only if we still hold it.
const UNLOCK: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

#[derive(Clone)]
pub struct ProductCache {
    redis: Arc<RedisHandle>,
    metrics: Arc<Metrics>,
    counters: CacheMetrics,
    settings: CacheSettings,
    store_if_newer: Arc<Script>,
    unlock: Arc<Script>,
    /// Products written while Redis was unreachable (id → version not yet
    /// stored); reads of them skip the cache until the retry lands.
    pending: Arc<Mutex<HashMap<Uuid, i64>>>,
}

impl ProductCache {
    pub fn new(
        redis: Arc<RedisHandle>,
        metrics: Arc<Metrics>,
        counters: CacheMetrics,
        settings: CacheSettings,
    ) -> Self {
        Self {
            redis,
            metrics,
            counters,
            settings,
            store_if_newer: Arc::new(Script::new(STORE_IF_NEWER)),
            unlock: Arc::new(Script::new(UNLOCK)),
            pending: Arc::default(),
        }
    }

    fn entry_key(&self, id: Uuid) -> String {
        self.redis.key(&format!("product:{id}"))
    }

    fn lock_key(&self, id: Uuid) -> String {
        self.redis.key(&format!("product:{id}:lock"))
    }

    fn degraded(&self, err: &redis::RedisError, action: &'static str) {
        tracing::warn!(error = %err, action, "redis unavailable; product cache bypassed");
        self.metrics.record_degraded("redis", action);
    }

    /// The product from the cache, or from `load` (Postgres) on a miss. Of
    /// concurrent misses on one key only the holder of the rebuild lock loads;
    /// the others wait for its entry, and load themselves if it is slow.
    pub async fn read_through<E, F, Fut>(&self, id: Uuid, load: F) -> Result<Cached, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Cached, E>>,
    {
        if self.is_pending(id) {
            return load().await;
        }
        let key = self.entry_key(id);
        let mut conn = match self.get(&key).await {
            Ok((Some(hit), _)) => {
                self.counters.hits.inc();
                return Ok(hit);
            }
            Ok((None, conn)) => conn,
            Err(err) => {
                self.degraded(&err, "cache_bypass");
                return load().await;
            }
        };
        self.counters.misses.inc();
        let lock = self.lock_key(id);
        let token = Uuid::new_v4().to_string();
        let locked: RedisResult<Option<String>> = redis::cmd("SET")
            .arg(&lock)
            .arg(&token)
            .arg("NX")
            .arg("PX")
            .arg(self.settings.lock_ttl.as_millis() as u64)
            .query_async(&mut conn)
            .await;
        match locked {
            Ok(Some(_)) => {
                let loaded = load().await;
                if let Ok(fresh) = &loaded {
                    self.store(&mut conn, &key, fresh).await;
                }
                let released: RedisResult<i64> = self
                    .unlock
                    .key(&lock)
                    .arg(&token)
                    .invoke_async(&mut conn)
                    .await;
                if let Err(err) = released {
                    tracing::debug!(error = %err, "releasing the rebuild lock failed; it expires");
                }
                loaded
            }
            Ok(None) => match self.wait_for_rebuild(&key).await {
                Some(entry) => Ok(entry),
                None => {
                    let loaded = load().await;
                    if let Ok(fresh) = &loaded {
                        self.store(&mut conn, &key, fresh).await;
                    }
                    loaded
                }
            },
            Err(err) => {
                self.degraded(&err, "cache_bypass");
                load().await
            }
        }
    }

    /// Polls for the entry another reader is rebuilding, up to `lock_wait`.
    async fn wait_for_rebuild(&self, key: &str) -> Option<Cached> {
        let deadline = tokio::time::Instant::now() + self.settings.lock_wait;
        let mut pause = Duration::from_millis(5);
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(50));
            match self.get(key).await {
                Ok((Some(entry), _)) => return Some(entry),
                Ok((None, _)) => {}
                Err(err) => {
                    self.degraded(&err, "cache_bypass");
                    return None;
                }
            }
        }
        tracing::debug!(key, "the rebuild lock holder is slow; reading Postgres");
        None
    }

    async fn get(&self, key: &str) -> RedisResult<(Option<Cached>, ConnectionManager)> {
        let mut conn = self.redis.conn().await?;
        let raw: Option<String> = redis::cmd("GET").arg(key).query_async(&mut conn).await?;
        Ok((raw.as_deref().and_then(Cached::decode), conn))
    }

    async fn store(&self, conn: &mut ConnectionManager, key: &str, entry: &Cached) {
        if let Err(err) = self.try_store(conn, key, entry).await {
            self.degraded(&err, "cache_fill_skipped");
        }
    }

    async fn try_store(
        &self,
        conn: &mut ConnectionManager,
        key: &str,
        entry: &Cached,
    ) -> RedisResult<bool> {
        let ttl = match entry {
            Cached::Absent => self.settings.absent_ttl,
            Cached::Present { .. } => self.settings.ttl,
        };
        let stored: i64 = self
            .store_if_newer
            .key(key)
            .arg(entry.version())
            .arg(entry.encode())
            .arg(ttl.as_millis() as u64)
            .invoke_async(conn)
            .await?;
        Ok(stored == 1)
    }

    /// After a write commits: replace the entry with the committed product
    /// (see the module comment). Never fails the write; when Redis is down it
    /// keeps trying in the background for one TTL.
    pub async fn store_after_write(&self, id: Uuid, entry: Cached) {
        let key = self.entry_key(id);
        let first = match self.redis.conn().await {
            Ok(mut conn) => self.try_store(&mut conn, &key, &entry).await,
            Err(err) => Err(err),
        };
        let Err(err) = first else { return };
        self.degraded(&err, "cache_write_retry");
        let version = entry.version();
        if let Ok(mut pending) = self.pending.lock() {
            let newest = pending.entry(id).or_insert(version);
            *newest = (*newest).max(version);
        }
        let cache = self.clone();
        tokio::spawn(async move {
            let deadline = tokio::time::Instant::now() + cache.settings.ttl;
            let mut pause = Duration::from_millis(100);
            while tokio::time::Instant::now() < deadline {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(1));
                if let Ok(mut conn) = cache.redis.conn().await {
                    if cache.try_store(&mut conn, &key, &entry).await.is_ok() {
                        tracing::info!(key, "cache entry replaced after Redis came back");
                        break;
                    }
                }
            }
            cache.settle(id, version);
        });
    }

    fn is_pending(&self, id: Uuid) -> bool {
        self.pending.lock().is_ok_and(|p| p.contains_key(&id))
    }

    /// The retry for `version` is over; later writes keep their own mark.
    fn settle(&self, id: Uuid, version: i64) {
        if let Ok(mut pending) = self.pending.lock() {
            if pending.get(&id) == Some(&version) {
                pending.remove(&id);
            }
        }
    }

    /// Stores `entry` as a reader's fill would (tests use it to play a slow reader).
    pub async fn fill(&self, id: Uuid, entry: &Cached) -> RedisResult<bool> {
        let mut conn = self.redis.conn().await?;
        self.try_store(&mut conn, &self.entry_key(id), entry).await
    }
}
