//! The moto AWS emulator (SNS, SQS, SES) from a git-ignored Python venv.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::local::target_dir;
use crate::net::HostPort;
use crate::venv;

const READY_PATH: &str = "/moto-api/data.json";
const START_TIMEOUT: Duration = Duration::from_secs(30);

fn moto_server() -> PathBuf {
    venv::bin_dir().join("moto_server")
}

/// Installs moto into the tools venv, once.
pub fn ensure_installed() -> anyhow::Result<()> {
    venv::ensure_tool("moto_server", "moto[server]")?;
    Ok(())
}

/// True when a moto server already answers on 127.0.0.1:`port`.
pub fn answers_on(port: u16) -> bool {
    HostPort::localhost(port).http_ok(READY_PATH)
}

pub fn endpoint_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

/// A moto server we started; dropping it stops the server.
pub struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    /// Starts moto on 127.0.0.1:`port` and waits until it answers.
    pub fn start(port: u16) -> anyhow::Result<Self> {
        let logs = target_dir()?;
        std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
        let log_path = logs.join(format!("moto-{port}.log"));
        let log =
            File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
        let child = Command::new(moto_server())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting moto_server")?;
        // From here on, an early return drops `moto` and so stops the child.
        let mut moto = Self { child, port };
        let deadline = Instant::now() + START_TIMEOUT;
        while !answers_on(port) {
            if let Some(status) = moto.child.try_wait()? {
                bail!(
                    "moto exited ({status}) before answering; see {}",
                    log_path.display()
                );
            }
            if Instant::now() > deadline {
                bail!(
                    "moto did not answer on port {port} within {}s; see {}",
                    START_TIMEOUT.as_secs(),
                    log_path.display()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(moto)
    }

    pub fn endpoint_url(&self) -> String {
        endpoint_url(self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        // Already gone (e.g. Ctrl-C reached it too) is fine: wait still reaps it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
