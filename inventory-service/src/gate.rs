//! The Redis admission gate in front of flash-sale claims. One Lua script
//! answers open? under the customer's limit? units left? and takes a unit,
//! so sold-out and over-limit answers never touch Postgres. Postgres stays
//! the authority: a gate that is wrong can only make a claim fail.
//!
//! A sale's keys share the hash tag `{sale:<id>}`, so the scripts also run
//! on a clustered Redis.

use std::sync::Arc;

use platform::redis::RedisHandle;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::repo::sales::SaleRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateAnswer {
    Admitted,
    SoldOut,
    LimitReached,
    NotStarted,
    Ended,
    /// The gate's keys are gone (Redis lost them, or never had them).
    Missing,
}

const CLAIM: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('EXISTS', KEYS[3]) == 0 then return -1 end
local meta = redis.call('HMGET', KEYS[3], 'starts', 'ends', 'limit')
local now = tonumber(ARGV[2])
if now < tonumber(meta[1]) then return -2 end
if now >= tonumber(meta[2]) then return -5 end
if tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0') >= tonumber(meta[3]) then return -3 end
if tonumber(redis.call('GET', KEYS[1]) or '0') <= 0 then return -4 end
redis.call('DECR', KEYS[1])
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
return 1
";

// ARGV[6] is 1 to overwrite a gate that exists (a resync from Postgres).
const REBUILD: &str = r"
if ARGV[6] == '0' and redis.call('EXISTS', KEYS[1]) == 1 and redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SET', KEYS[1], ARGV[1])
for i = 7, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
redis.call('HSET', KEYS[3], 'starts', ARGV[2], 'ends', ARGV[3], 'limit', ARGV[4])
for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[5]) end
return 1
";

const GIVE_BACK: &str = r"
if redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
redis.call('INCRBY', KEYS[1], ARGV[2])
if tonumber(redis.call('HINCRBY', KEYS[2], ARGV[1], -tonumber(ARGV[2]))) <= 0 then
  redis.call('HDEL', KEYS[2], ARGV[1])
end
return 1
";

/// How long a rebuild may hold the lock before another request may try.
const REBUILD_LOCK_MS: u64 = 5_000;

#[derive(Clone)]
pub struct Gate {
    redis: Arc<RedisHandle>,
    claim: Arc<redis::Script>,
    rebuild: Arc<redis::Script>,
    give_back: Arc<redis::Script>,
}

fn millis(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}

impl Gate {
    pub fn new(redis: Arc<RedisHandle>) -> Self {
        Self {
            redis,
            claim: Arc::new(redis::Script::new(CLAIM)),
            rebuild: Arc::new(redis::Script::new(REBUILD)),
            give_back: Arc::new(redis::Script::new(GIVE_BACK)),
        }
    }

    /// The sale's keys: remaining units, units per customer, and the sale's window and limit.
    pub fn keys(&self, sale: Uuid) -> [String; 3] {
        ["remaining", "customers", "meta"].map(|k| self.redis.key(&format!("{{sale:{sale}}}:{k}")))
    }

    fn rebuild_lock_key(&self, sale: Uuid) -> String {
        self.redis.key(&format!("{{sale:{sale}}}:rebuilding"))
    }

    /// Takes the sale's rebuild lock (for every task of the service) for at
    /// most `REBUILD_LOCK_MS`; false when another request holds it.
    pub async fn lock_rebuild(&self, sale: Uuid) -> redis::RedisResult<bool> {
        let mut conn = self.redis.conn().await?;
        let taken: Option<String> = redis::cmd("SET")
            .arg(self.rebuild_lock_key(sale))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(REBUILD_LOCK_MS)
            .query_async(&mut conn)
            .await?;
        Ok(taken.is_some())
    }

    pub async fn unlock_rebuild(&self, sale: Uuid) -> redis::RedisResult<()> {
        let mut conn = self.redis.conn().await?;
        redis::cmd("DEL")
            .arg(self.rebuild_lock_key(sale))
            .query_async::<i64>(&mut conn)
            .await?;
        Ok(())
    }

    pub async fn claim(&self, sale: Uuid, customer: Uuid) -> redis::RedisResult<GateAnswer> {
        let mut conn = self.redis.conn().await?;
        let mut invocation = self.claim.prepare_invoke();
        for key in self.keys(sale) {
            invocation.key(key);
        }
        let answer: i64 = invocation
            .arg(customer.to_string())
            .arg(millis(OffsetDateTime::now_utc()))
            .invoke_async(&mut conn)
            .await?;
        Ok(match answer {
            1 => GateAnswer::Admitted,
            -1 => GateAnswer::Missing,
            -2 => GateAnswer::NotStarted,
            -5 => GateAnswer::Ended,
            -3 => GateAnswer::LimitReached,
            _ => GateAnswer::SoldOut,
        })
    }

    /// Rebuilds the gate from Postgres' view of the sale, unless someone already did.
    pub async fn rebuild(
        &self,
        sale: &SaleRow,
        units_by_customer: &[(Uuid, i64)],
    ) -> redis::RedisResult<()> {
        self.write(sale, units_by_customer, false).await
    }

    /// Sets the gate to Postgres' view of the sale, whatever it held: how a
    /// gate that drifted (a give-back that failed, a unit admitted for a
    /// buyer who hung up) heals.
    pub async fn resync(
        &self,
        sale: &SaleRow,
        units_by_customer: &[(Uuid, i64)],
    ) -> redis::RedisResult<()> {
        self.write(sale, units_by_customer, true).await
    }

    async fn write(
        &self,
        sale: &SaleRow,
        units_by_customer: &[(Uuid, i64)],
        overwrite: bool,
    ) -> redis::RedisResult<()> {
        let mut conn = self.redis.conn().await?;
        let ttl = (sale.ends_at - OffsetDateTime::now_utc())
            .whole_seconds()
            .max(0)
            + 3600;
        let mut invocation = self.rebuild.prepare_invoke();
        for key in self.keys(sale.id) {
            invocation.key(key);
        }
        invocation
            .arg(sale.remaining)
            .arg(millis(sale.starts_at))
            .arg(if sale.closed_at.is_some() {
                0
            } else {
                millis(sale.ends_at)
            })
            .arg(sale.per_customer_limit)
            .arg(ttl)
            .arg(i32::from(overwrite));
        for (customer, units) in units_by_customer {
            invocation.arg(customer.to_string()).arg(*units);
        }
        invocation.invoke_async::<i64>(&mut conn).await?;
        Ok(())
    }

    /// Returns units Postgres did not take (or that came back) to the gate.
    pub async fn give_back(
        &self,
        sale: Uuid,
        customer: Uuid,
        units: i32,
    ) -> redis::RedisResult<()> {
        let mut conn = self.redis.conn().await?;
        let mut invocation = self.give_back.prepare_invoke();
        for key in self.keys(sale) {
            invocation.key(key);
        }
        invocation
            .arg(customer.to_string())
            .arg(units)
            .invoke_async::<i64>(&mut conn)
            .await?;
        Ok(())
    }
}
