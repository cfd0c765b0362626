//! The service kit: what every Storefront service is built from, so a
//! service's own code says only what differs (docs/architecture.md,
//! "Adding a service").
//!
//! A service implements [`Service`]: its settings, state, OpenAPI document,
//! routes, migrations and what it builds and spawns on top of what the kit
//! connects ([`Kit`]). [`Application`] binds, migrates, connects, serves
//! with the shared middleware, health and Swagger UI, and drains on stop;
//! [`cli::run`] is the whole of a service's `main`.

mod app;
pub mod cli;
mod periodic;

use std::future::Future;

use sqlx::migrate::Migrator;
use utoipa_axum::router::OpenApiRouter;

pub use app::{Application, Kit};
pub use periodic::every;

use crate::config::CommonSettings;

/// A service's settings: [`CommonSettings`] plus its own, read from the
/// environment (tests build them in code).
pub trait ServiceSettings: Clone + Send + Sync + 'static {
    fn from_env() -> anyhow::Result<Self>;
    fn common(&self) -> &CommonSettings;
}

/// One Storefront service, as the kit runs it.
pub trait Service: 'static {
    /// The crate, `env!("CARGO_PKG_NAME")`: its entry in infra/services.yaml.
    const NAME: &'static str;
    type Settings: ServiceSettings;
    /// What every handler gets (`State<AppState>`); it lives in the
    /// service's `state.rs`, so no route imports the module that builds it.
    type State: Clone + Send + Sync + 'static;

    /// A JSON API (the default) or the web shop's pages.
    const SURFACE: crate::http::Surface = crate::http::Surface::Api;

    /// The document's info, tags and security schemes (`ApiDoc::openapi()`);
    /// the paths come from [`Service::routes`].
    fn openapi() -> utoipa::openapi::OpenApi;

    /// The API routes, with their OpenAPI operations.
    fn routes() -> OpenApiRouter<Self::State>;

    /// Middleware of the service's own around its routes, given its state
    /// (the web shop's sessions and CSRF check); the kit's layers wrap it.
    fn wrap(routes: axum::Router, state: &Self::State) -> axum::Router {
        let _ = state;
        routes
    }

    /// The service's migrations; `None` for a service with no database of
    /// its own (its readiness is then its Redis).
    fn migrator() -> Option<&'static Migrator>;

    /// Builds the state from what the kit connected and spawns the
    /// service's own workers on it.
    fn build(
        kit: &mut Kit,
        settings: &Self::Settings,
    ) -> impl Future<Output = anyhow::Result<Self::State>> + Send;
}

/// The API routes of `S` merged into one router that carries its document.
pub fn api_router<S: Service>() -> OpenApiRouter<S::State> {
    OpenApiRouter::with_openapi(S::openapi()).merge(S::routes())
}

/// The OpenAPI document of `S`, as served and committed (`openapi.json`).
pub fn document<S: Service>() -> utoipa::openapi::OpenApi {
    crate::openapi::split(api_router::<S>()).1
}
