//! Private servers a test may break without touching the machine's shared
//! ones (docs/architecture.md, "Testing rules"): a Postgres cluster made with `initdb`, a
//! `redis-server` that keeps nothing on disk, and a moto emulator, each on a
//! free port, each stopped and removed when dropped. Postgres and Redis also
//! come TLS-only, as RDS and ElastiCache run.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use super::tls::{ServerCertificate, TestCa};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn answers(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

fn wait_until(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ready() {
        assert!(
            Instant::now() < deadline,
            "{what} did not start in {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn signal(pid: u32, sig: &str) -> bool {
    Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success())
}

/// A Postgres cluster of its own (`initdb`), fsync off, on a free port.
/// Postgres refuses to run as root: as root, its tools run as `postgres`.
pub struct PrivatePostgres {
    dir: PathBuf,
    pub port: u16,
}

impl PrivatePostgres {
    fn tool(&self, name: &str) -> Command {
        if is_root() {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--", name]);
            cmd
        } else {
            Command::new(name)
        }
    }

    pub fn start() -> Self {
        let this = Self::init();
        this.pg_ctl("start");
        this
    }

    /// Like RDS: `ssl=on` with a certificate from `ca`, and a `pg_hba.conf`
    /// that refuses every TCP connection without TLS.
    pub fn start_tls_only(ca: &TestCa) -> Self {
        let this = Self::init();
        let data = this.data();
        let certificate = ca.server_certificate(&data);
        this.give_to_postgres(&data);
        let conf = format!(
            "\nssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'\n",
            certificate.cert_file.display(),
            certificate.key_file.display()
        );
        append(&data.join("postgresql.conf"), &conf);
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\n\
             hostssl all all 127.0.0.1/32 trust\n\
             hostnossl all all 0.0.0.0/0 reject\n",
        )
        .expect("writing pg_hba.conf");
        this.pg_ctl("start");
        this
    }

    fn init() -> Self {
        let dir = std::env::temp_dir().join(format!("pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("making the cluster's directory");
        let this = Self {
            dir,
            port: free_port(),
        };
        this.give_to_postgres(&this.dir);
        let initdb = this
            .tool("initdb")
            .args(["-A", "trust", "-U", "postgres", "-D"])
            .arg(this.data())
            .stdout(Stdio::null())
            .status()
            .expect("running initdb (is PostgreSQL installed?)");
        assert!(initdb.success(), "initdb failed");
        this
    }

    /// As root, the cluster's files must belong to `postgres`, who runs it.
    fn give_to_postgres(&self, path: &Path) {
        if is_root() {
            let owned = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(path)
                .status()
                .is_ok_and(|s| s.success());
            assert!(owned, "giving {} to postgres", path.display());
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn pg_ctl(&self, action: &str) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            self.port,
            self.dir.display()
        );
        let mut cmd = self.tool("pg_ctl");
        cmd.args(["-D"])
            .arg(self.data())
            .args(["-o", &options, "-l"])
            .arg(self.dir.join("log"))
            .args(["-w", "-m", "immediate", action])
            .stdout(Stdio::null());
        let ok = cmd.status().is_ok_and(|s| s.success());
        assert!(
            ok,
            "pg_ctl {action} failed (see {})",
            self.dir.join("log").display()
        );
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops it at once, as a crash would (no shutdown checkpoint).
    pub fn crash(&self) {
        self.pg_ctl("stop");
    }

    /// Starts it again after `crash` (it recovers from its log).
    pub fn start_again(&self) {
        self.pg_ctl("start");
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self
            .tool("pg_ctl")
            .args(["-D"])
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A `redis-server` of its own that keeps nothing on disk.
pub struct PrivateRedis {
    pub port: u16,
    child: Option<Child>,
    /// For a TLS-only server: its directory, holding its certificate and key.
    tls: Option<(PathBuf, ServerCertificate)>,
}

impl PrivateRedis {
    pub fn start() -> Self {
        let mut this = Self {
            port: free_port(),
            child: None,
            tls: None,
        };
        this.spawn();
        this
    }

    /// Like ElastiCache with transit encryption: only a TLS port (no plain
    /// one), with a certificate from `ca`; clients need no certificate.
    pub fn start_tls_only(ca: &TestCa) -> Self {
        let dir = std::env::temp_dir().join(format!("redis-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("making the server's directory");
        let certificate = ca.server_certificate(&dir);
        let mut this = Self {
            port: free_port(),
            child: None,
            tls: Some((dir, certificate)),
        };
        this.spawn();
        this
    }

    fn spawn(&mut self) {
        let port = self.port.to_string();
        let mut cmd = Command::new("redis-server");
        match &self.tls {
            None => cmd.args(["--port", &port]),
            Some((_, certificate)) => cmd
                .args(["--port", "0", "--tls-port", &port])
                .arg("--tls-cert-file")
                .arg(&certificate.cert_file)
                .arg("--tls-key-file")
                .arg(&certificate.key_file)
                .args(["--tls-auth-clients", "no"]),
        };
        let child = cmd
            .args(["--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("starting redis-server (is Redis installed?)");
        self.child = Some(child);
        let port = self.port;
        wait_until("redis-server", Duration::from_secs(10), || answers(port));
    }

    /// `redis://`, or `rediss://` for a TLS-only server.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() {
            "rediss"
        } else {
            "redis"
        };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// Kills it: every key is gone (it keeps nothing on disk).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, empty.
    pub fn start_again(&mut self) {
        self.spawn();
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
        if let Some((dir, _)) = &self.tls {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    file.write_all(text.as_bytes())
        .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// A moto emulator of its own, which a test may pause (SIGSTOP) and resume.
pub struct PrivateMoto {
    pub port: u16,
    child: Child,
}

/// `moto_server` from `MOTO_SERVER`, else the test command's tools venv.
fn moto_server() -> PathBuf {
    std::env::var_os("MOTO_SERVER").map_or_else(
        || {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join(".venv-tools")
                .join("bin")
                .join("moto_server")
        },
        PathBuf::from,
    )
}

impl PrivateMoto {
    pub fn start() -> Self {
        let port = free_port();
        let child = Command::new(moto_server())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting moto_server (run `cargo xtask test`, which installs it)");
        wait_until("moto", Duration::from_secs(30), || answers(port));
        Self { port, child }
    }

    pub fn endpoint_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Freezes the process: connections hang, nothing is answered.
    pub fn pause(&self) {
        assert!(signal(self.child.id(), "-STOP"), "pausing moto");
    }

    pub fn resume(&self) {
        assert!(signal(self.child.id(), "-CONT"), "resuming moto");
    }
}

impl Drop for PrivateMoto {
    fn drop(&mut self) {
        let _ = signal(self.child.id(), "-CONT");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
