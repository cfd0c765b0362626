//! What every handler of web-service is given.

use std::sync::Arc;

use platform::{metrics::Metrics, redis::RedisHandle};

use crate::{api::Api, session::SessionStore};

#[derive(Clone)]
pub struct AppState {
    pub api: Api,
    pub sessions: SessionStore,
    pub redis: Arc<RedisHandle>,
    pub metrics: Arc<Metrics>,
    pub shop_currency: Arc<str>,
    pub secure_cookies: bool,
}
