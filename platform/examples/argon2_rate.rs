//! The bare argon2id hash rate with the service's parameters, one hashing
//! thread per core: the baseline registrations per second are measured against.
#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

fn main() -> anyhow::Result<()> {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            std::thread::spawn(move || {
                let mut n = 0u64;
                while Instant::now() < deadline {
                    platform::auth::password::hash_blocking("correct horse battery")
                        .map(|_| n += 1)?;
                }
                Ok::<_, anyhow::Error>(n)
            })
        })
        .collect();
    let mut total = 0;
    for handle in handles {
        total += handle
            .join()
            .map_err(|_| anyhow::anyhow!("a hashing thread panicked"))??;
    }
    let rate = total as f64 / started.elapsed().as_secs_f64();
    println!("argon2id hashes/s: {rate:.1} ({threads} threads, {total} hashes)");
    Ok(())
}
