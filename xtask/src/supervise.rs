//! Runs the service processes: prefixes their output, notices exits, stops them gracefully.

use std::collections::HashSet;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;
use tokio::task::JoinSet;

const STOP_TIMEOUT: Duration = Duration::from_secs(30);

type Exit = (&'static str, std::io::Result<ExitStatus>);

#[derive(Default)]
pub struct Supervisor {
    running: JoinSet<Exit>,
    pids: Vec<(&'static str, u32)>,
    exited: HashSet<&'static str>,
}

impl Supervisor {
    pub fn spawn(&mut self, name: &'static str, mut cmd: Command) -> anyhow::Result<()> {
        // kill_on_drop is the backstop when xtask bails out before `shutdown`.
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        let pid = child.id().context("a just-spawned child has a pid")?;
        if let Some(out) = child.stdout.take() {
            tokio::spawn(forward(name, out, false));
        }
        if let Some(err) = child.stderr.take() {
            tokio::spawn(forward(name, err, true));
        }
        self.running
            .spawn(async move { (name, child.wait().await) });
        self.pids.push((name, pid));
        Ok(())
    }

    /// Resolves when a child exits, with its name and status. Pending forever
    /// when nothing runs, so it can sit in a `select!` safely.
    pub async fn next_exit(&mut self) -> (&'static str, String) {
        match self.running.join_next().await {
            Some(Ok((name, status))) => {
                self.exited.insert(name);
                (name, describe(status))
            }
            Some(Err(join_error)) => ("a supervisor task", join_error.to_string()),
            None => std::future::pending().await,
        }
    }

    /// SIGTERM to every child still running, then SIGKILL to any still there after 30 s.
    pub async fn shutdown(mut self) {
        self.signal_running("TERM");
        let drained = tokio::time::timeout(STOP_TIMEOUT, self.drain()).await;
        if drained.is_err() {
            println!(
                "Some services did not stop within {}s; killing them.",
                STOP_TIMEOUT.as_secs()
            );
            self.signal_running("KILL");
            self.drain().await;
        }
    }

    async fn drain(&mut self) {
        while let Some(exit) = self.running.join_next().await {
            if let Ok((name, status)) = exit {
                self.exited.insert(name);
                println!("{name} stopped ({})", describe(status));
            }
        }
    }

    // Through `kill(1)` because the workspace forbids the unsafe code libc::kill needs.
    fn signal_running(&self, signal: &str) {
        for (name, pid) in self
            .pids
            .iter()
            .filter(|(name, _)| !self.exited.contains(name))
        {
            let sent = std::process::Command::new("kill")
                .args([format!("-{signal}"), pid.to_string()])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if !sent {
                println!("could not send SIG{signal} to {name} (pid {pid}); it may have exited");
            }
        }
    }
}

fn describe(status: std::io::Result<ExitStatus>) -> String {
    match status {
        Ok(status) => status.to_string(),
        Err(e) => format!("wait failed: {e}"),
    }
}

async fn forward(name: &'static str, stream: impl AsyncRead + Unpin, to_stderr: bool) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if to_stderr {
            eprintln!("{name:>12} | {line}");
        } else {
            println!("{name:>12} | {line}");
        }
    }
}
