//! Baselines measured in the same run as the scenarios, on the same machine:
//! what the scenario's bottleneck manages with nothing of ours around it.

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use sqlx::Connection;

use crate::env::RunEnv;
use crate::load::{self, Mode, Plan, Request, Target, Workload};
use crate::report::{Baseline, Baselines, RunDir};

pub const REDIS_GET: &str = "redis-get";
pub const REDIS_EVALSHA: &str = "redis-evalsha";
pub const PG_HOT_ROW: &str = "pg-hot-row";
pub const PG_CHECKOUT: &str = "pg-checkout";
pub const ARGON2ID: &str = "argon2id";
pub const HEALTH_LIVE: &str = "health-live";

const REDIS_CLIENTS: &str = "64";
const REDIS_REQUESTS: &str = "200000";
const PG_CLIENTS: &str = "16";

/// The gate's shape: take one unit unless none is left.
const DECREMENT: &str = "local n = redis.call('DECR', KEYS[1]) \
     if n < 0 then redis.call('INCR', KEYS[1]) return -1 end return n";

/// Measures the baselines named in `keys`, each for about `seconds`.
pub async fn measure(
    env: &RunEnv,
    dir: &RunDir,
    keys: &[String],
    seconds: u64,
) -> anyhow::Result<Baselines> {
    let mut baselines = Baselines::new();
    for key in keys {
        eprintln!("baseline {key}...");
        let baseline = match key.as_str() {
            REDIS_GET => redis_get(env)?,
            REDIS_EVALSHA => redis_evalsha(env).await?,
            PG_HOT_ROW | PG_CHECKOUT => pgbench(env, dir, key, seconds).await?,
            ARGON2ID => argon2id(seconds).await?,
            HEALTH_LIVE => health_live(env, seconds).await?,
            other => bail!("unknown baseline `{other}`"),
        };
        eprintln!("baseline {key}: {:.1}/s", baseline.rate);
        baselines.insert(key.clone(), baseline);
    }
    Ok(baselines)
}

fn redis_host_port(env: &RunEnv) -> anyhow::Result<(String, u16)> {
    let client = redis::Client::open(env.redis_url.as_str())?;
    match &client.get_connection_info().addr {
        redis::ConnectionAddr::Tcp(host, port) => Ok((host.clone(), *port)),
        _ => bail!("the Redis baselines need a plain TCP REDIS_URL"),
    }
}

/// Runs redis-benchmark with `args` and returns requests/s from its CSV.
fn redis_benchmark(env: &RunEnv, args: &[&str]) -> anyhow::Result<(f64, String)> {
    let (host, port) = redis_host_port(env)?;
    let port = port.to_string();
    let mut all = vec![
        "-h",
        &host,
        "-p",
        &port,
        "-c",
        REDIS_CLIENTS,
        "-n",
        REDIS_REQUESTS,
        "--csv",
    ];
    all.extend_from_slice(args);
    let out = Command::new("redis-benchmark")
        .args(&all)
        .output()
        .context("running redis-benchmark (apt-get install redis-tools)")?;
    anyhow::ensure!(
        out.status.success(),
        "redis-benchmark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rate = parse_redis_csv(&String::from_utf8_lossy(&out.stdout))?;
    let how = format!(
        "redis-benchmark -c {REDIS_CLIENTS} -n {REDIS_REQUESTS} {}",
        args.join(" ")
    );
    Ok((rate, how))
}

/// The `rps` column of redis-benchmark's last CSV row.
fn parse_redis_csv(csv: &str) -> anyhow::Result<f64> {
    let row = csv
        .lines()
        .rfind(|l| !l.starts_with("\"test\""))
        .context("no CSV row")?;
    let fields: Vec<&str> = row.rsplitn(8, ',').collect();
    // rsplitn keeps a test name with commas whole; rps is the 7th field from the end.
    let rps = fields.get(6).context("short CSV row")?;
    rps.trim_matches('"')
        .parse()
        .with_context(|| format!("rps in {row:?}"))
}

fn redis_get(env: &RunEnv) -> anyhow::Result<Baseline> {
    let (rate, how) = redis_benchmark(env, &["-t", "get"])?;
    Ok(Baseline {
        title: "Redis GET".to_owned(),
        rate,
        how,
    })
}

async fn redis_evalsha(env: &RunEnv) -> anyhow::Result<Baseline> {
    let client = redis::Client::open(env.redis_url.as_str())?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let key = format!("bench-baseline-{}:{{stock}}", uuid::Uuid::new_v4().simple());
    let _: () = redis::cmd("SET")
        .arg(&key)
        .arg(1_000_000_000)
        .query_async(&mut conn)
        .await?;
    let sha: String = redis::cmd("SCRIPT")
        .arg("LOAD")
        .arg(DECREMENT)
        .query_async(&mut conn)
        .await?;
    let outcome = redis_benchmark(env, &["EVALSHA", &sha, "1", &key]);
    let _: () = redis::cmd("DEL").arg(&key).query_async(&mut conn).await?;
    let (rate, _) = outcome?;
    Ok(Baseline {
        title: "Redis EVALSHA decrement".to_owned(),
        rate,
        how: format!("redis-benchmark -c {REDIS_CLIENTS} -n {REDIS_REQUESTS} EVALSHA <DECR unless 0> 1 <key>"),
    })
}

const HOT_ROW_SQL: &str = "UPDATE hot SET n = n - 1 WHERE id = 1 AND n > 0;\n";

/// One stock update and two inserts: the shape of a checkout's own writes.
const CHECKOUT_SQL: &str = "\\set sku random(1, 10000)
BEGIN;
UPDATE stock SET reserved = reserved + 1 WHERE sku = :sku;
INSERT INTO orders (id, customer_id, total_cents) VALUES (gen_random_uuid(), gen_random_uuid(), 999) RETURNING id \\gset
INSERT INTO order_items (order_id, sku, quantity, unit_price_cents) VALUES (:id, :sku, 1, 999);
END;
";

const SCHEMA: &str = "
CREATE TABLE hot (id int PRIMARY KEY, n bigint NOT NULL CHECK (n >= 0));
INSERT INTO hot VALUES (1, 1000000000);
CREATE TABLE stock (sku int PRIMARY KEY, on_hand int NOT NULL, reserved int NOT NULL DEFAULT 0,
    CHECK (on_hand - reserved >= 0));
INSERT INTO stock (sku, on_hand) SELECT g, 1000000 FROM generate_series(1, 10000) g;
CREATE TABLE orders (id uuid PRIMARY KEY, customer_id uuid NOT NULL, total_cents bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE order_items (order_id uuid NOT NULL REFERENCES orders (id), sku int NOT NULL,
    quantity int NOT NULL, unit_price_cents bigint NOT NULL, PRIMARY KEY (order_id, sku));
";

async fn pgbench(env: &RunEnv, dir: &RunDir, key: &str, seconds: u64) -> anyhow::Result<Baseline> {
    let database = format!("bench_baseline_{}", uuid::Uuid::new_v4().simple());
    let url = platform::db::with_database(&env.admin_database_url, &database)?;
    let mut admin = sqlx::PgConnection::connect(&env.admin_database_url).await?;
    sqlx::raw_sql(&format!("CREATE DATABASE {database}"))
        .execute(&mut admin)
        .await?;
    let outcome = async {
        let mut conn = sqlx::PgConnection::connect(&url).await?;
        sqlx::raw_sql(SCHEMA).execute(&mut conn).await?;
        conn.close().await?;
        let (title, sql) = match key {
            PG_HOT_ROW => ("pgbench single hot-row update", HOT_ROW_SQL),
            _ => ("pgbench stock update + 2 inserts", CHECKOUT_SQL),
        };
        let script = dir.0.join(format!("{key}.sql"));
        std::fs::write(&script, sql)?;
        let script = script.to_string_lossy().into_owned();
        let secs = seconds.to_string();
        let args = [
            "-n", "-M", "prepared", "-c", PG_CLIENTS, "-j", "2", "-T", &secs, "-f", &script, &url,
        ];
        let out = tokio::process::Command::new("pgbench")
            .args(args)
            .output()
            .await
            .context("running pgbench (apt-get install postgresql-client)")?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        anyhow::ensure!(out.status.success(), "pgbench failed: {stdout}{stderr}");
        Ok(Baseline {
            title: title.to_owned(),
            rate: parse_pgbench_tps(&stdout)?,
            how: format!("pgbench -n -M prepared -c {PG_CLIENTS} -j 2 -T {seconds} (script: bench/src/baselines.rs)"),
        })
    }
    .await;
    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    outcome
}

/// `tps = 3699.123 (without initial connection time)` → 3699.123.
fn parse_pgbench_tps(output: &str) -> anyhow::Result<f64> {
    let line = output
        .lines()
        .find(|l| l.starts_with("tps = "))
        .context("no `tps = ` line in pgbench's output")?;
    let value = line
        .trim_start_matches("tps = ")
        .split_whitespace()
        .next()
        .unwrap_or_default();
    value.parse().with_context(|| format!("tps in {line:?}"))
}

/// argon2id hashes per second with the services' parameters, one thread per core.
async fn argon2id(seconds: u64) -> anyhow::Result<Baseline> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut workers = Vec::new();
    for _ in 0..threads {
        workers.push(tokio::task::spawn_blocking(move || {
            let mut n = 0u64;
            while Instant::now() < deadline {
                platform::auth::password::hash_blocking("correct horse battery staple")?;
                n += 1;
            }
            anyhow::Ok(n)
        }));
    }
    let mut total = 0;
    for worker in workers {
        total += worker.await??;
    }
    Ok(Baseline {
        title: "bare argon2id hash".to_owned(),
        rate: total as f64 / started.elapsed().as_secs_f64(),
        how: format!("platform::auth::password::hash_blocking on {threads} threads"),
    })
}

struct Live;

impl Workload for Live {
    fn request(&self, _n: u64) -> Option<Request> {
        Some(Request::get("/health/live"))
    }
}

/// The HTTP ceiling of one service: `GET /health/live` of registration at 64 connections.
async fn health_live(env: &RunEnv, seconds: u64) -> anyhow::Result<Baseline> {
    let plan = Plan {
        name: "baseline health/live".to_owned(),
        target: Target::from_url(env.url("registration")?)?,
        mode: Mode::Closed { connections: 64 },
        duration: Duration::from_secs(seconds),
        timeout: Duration::from_secs(10),
    };
    let report = load::run(&plan, Arc::new(Live)).await?;
    anyhow::ensure!(
        report.errors == 0 && report.ok > 0,
        "GET /health/live failed: {:?}",
        report.outcomes
    );
    Ok(Baseline {
        title: "registration GET /health/live".to_owned(),
        rate: report.ok_rate(),
        how: "storefront-bench, closed loop, 64 connections".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_benchmark_csv_gives_requests_per_second() {
        let csv = "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\",\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\"\n\
                   \"EVALSHA abc 1 k\",\"11706.86\",\"4.005\",\"0.184\",\"2.519\",\"11.855\",\"19.567\",\"79.935\"\n";
        assert_eq!(parse_redis_csv(csv).unwrap(), 11706.86);
    }

    #[test]
    fn pgbench_output_gives_transactions_per_second() {
        let out = "number of failed transactions: 0 (0.000%)\nlatency average = 4.3 ms\ntps = 3699.123456 (without initial connection time)\n";
        assert_eq!(parse_pgbench_tps(out).unwrap(), 3699.123456);
        assert!(parse_pgbench_tps("nothing").is_err());
    }
}
