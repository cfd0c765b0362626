//! A service started in the test process: [`spawn`] builds it with the
//! settings a test chose and serves it until the [`Running`] is dropped.

use tokio_util::sync::CancellationToken;

use super::db::TestDatabase;
use crate::service::{Application, Service};

/// A service serving on a free port; dropping it stops it (and drops its
/// database, when it owns one).
pub struct Running<S: Service> {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    pub state: S::State,
    pub settings: S::Settings,
    pub db: Option<TestDatabase>,
    stop: CancellationToken,
}

impl<S: Service> Running<S> {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Stops the service as SIGTERM would (in-flight requests drain).
    pub fn stop(&self) {
        self.stop.cancel();
    }

    /// The database, for a service spawned with one.
    pub fn db(&self) -> &TestDatabase {
        self.db.as_ref().expect("spawned without a database")
    }
}

impl<S: Service> Drop for Running<S> {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Builds `S` with `settings` and serves it.
pub async fn spawn<S: Service>(settings: S::Settings) -> Running<S> {
    // Boxed: building an application is a large future.
    let app = Box::pin(Application::<S>::build(settings.clone()))
        .await
        .unwrap_or_else(|e| panic!("building {}: {e:#}", S::NAME));
    let running = Running {
        address: format!("http://127.0.0.1:{}", app.port()),
        state: app.state().clone(),
        settings,
        db: None,
        stop: app.stop_token(),
    };
    tokio::spawn(app.run_until_stopped());
    running
}

/// Creates a database migrated for `S`, builds the settings on it and
/// serves `S`; the database lives as long as the service.
pub async fn spawn_with_database<S: Service>(
    settings: impl FnOnce(&TestDatabase) -> S::Settings,
) -> Running<S> {
    let migrator = S::migrator().unwrap_or_else(|| panic!("{} has no database", S::NAME));
    let db = TestDatabase::create(migrator).await;
    let mut running = spawn::<S>(settings(&db)).await;
    running.db = Some(db);
    running
}
