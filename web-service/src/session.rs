//! Sessions: the browser holds only an opaque id in an HttpOnly, SameSite=Lax
//! cookie (Secure in AWS); what the session knows (the shopper's tokens, a
//! guest's cart, the CSRF token) lives in Redis under the id's SHA-256, for
//! `SESSION_TTL_DAYS` after the last visit. Server-side rather than an
//! encrypted cookie: a sign-out or a revoked family ends the session at
//! once, and no token ever reaches the browser (docs/services.md, "web-service").

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use axum::{
    extract::{FromRequestParts, Request, State},
    http::{header, request::Parts, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use axum_extra::extract::cookie::{Cookie, SameSite};
use base64::Engine;
use platform::redis::RedisHandle;
use rand::RngCore;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    api::{types::Customer, Api, Ctx, Failure},
    pages,
    state::AppState,
};

pub const COOKIE: &str = "sf_session";

/// An access token this close to its expiry is refreshed before a call.
const REFRESH_MARGIN_SECS: i64 = 30;
/// How long one request may hold a session's refresh lock, and how long
/// another waits for its result.
const REFRESH_LOCK: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct SessionStore {
    redis: Arc<RedisHandle>,
    ttl: Duration,
}

/// What a session knows.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SessionData {
    /// The synchronizer token every state-changing form carries.
    pub csrf: String,
    /// Kept under a key of its own, written only by a request that changes
    /// it (sign-in, refresh, sign-out): a request that started before a
    /// refresh and saves its cart or notice afterwards cannot put a rotated
    /// (dead) refresh token back.
    #[serde(skip)]
    shopper: Option<Shopper>,
    /// A guest's cart; merged into the customer's on sign-in or sign-up.
    #[serde(default)]
    pub cart: Vec<GuestLine>,
    /// A message for the next page ("Signed out").
    #[serde(default)]
    pub notice: Option<String>,
    /// The signed-in customer's cart size, as last seen, for the header's badge.
    #[serde(default)]
    pub cart_count: i64,
    /// What the last flash-sale claim came to, for the sale's page.
    #[serde(default)]
    pub claim_outcome: Option<crate::pages::sale::ClaimOutcome>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Shopper {
    pub customer: Customer,
    pub access_token: String,
    /// Unix seconds.
    pub access_expires_at: i64,
    pub refresh_token: String,
}

impl Shopper {
    pub fn is_admin(&self) -> bool {
        self.customer.role == "admin"
    }

    fn access_is_fresh(&self, now: i64) -> bool {
        self.access_expires_at - REFRESH_MARGIN_SECS > now
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestLine {
    pub product_id: Uuid,
    pub quantity: i64,
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn is_well_formed(id: &str) -> bool {
    id.len() == 43
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl SessionStore {
    pub fn new(redis: Arc<RedisHandle>, ttl: Duration) -> Self {
        Self { redis, ttl }
    }

    fn key(&self, id: &str) -> String {
        let digest = Sha256::digest(id.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        self.redis.key(&format!("session:{hex}"))
    }

    fn shopper_key(&self, id: &str) -> String {
        format!("{}:shopper", self.key(id))
    }

    async fn load(&self, id: &str) -> redis::RedisResult<Option<SessionData>> {
        let mut conn = self.redis.conn().await?;
        let (raw, shopper): (Option<String>, Option<String>) = redis::pipe()
            .get(self.key(id))
            .get(self.shopper_key(id))
            .query_async(&mut conn)
            .await?;
        Ok(raw
            .and_then(|raw| serde_json::from_str::<SessionData>(&raw).ok())
            .map(|mut data| {
                data.shopper = shopper.and_then(|s| serde_json::from_str(&s).ok());
                data
            }))
    }

    /// Writes what changed (the contents, the shopper, or both) and renews
    /// the expiry of the rest.
    async fn save(
        &self,
        id: &str,
        data: Option<&SessionData>,
        shopper: Option<Option<&Shopper>>,
    ) -> redis::RedisResult<()> {
        let mut conn = self.redis.conn().await?;
        let ttl = self.ttl.as_secs();
        let (key, shopper_key) = (self.key(id), self.shopper_key(id));
        let mut pipe = redis::pipe();
        match data {
            Some(data) => {
                let raw = serde_json::to_string(data).unwrap_or_default();
                pipe.set_ex(&key, raw, ttl).ignore();
            }
            None => {
                pipe.expire(&key, ttl as i64).ignore();
            }
        }
        match shopper {
            Some(Some(shopper)) => {
                let raw = serde_json::to_string(shopper).unwrap_or_default();
                pipe.set_ex(&shopper_key, raw, ttl).ignore();
            }
            Some(None) => {
                pipe.del(&shopper_key).ignore();
            }
            None => {
                pipe.expire(&shopper_key, ttl as i64).ignore();
            }
        }
        pipe.query_async(&mut conn).await
    }

    async fn delete(&self, id: &str) -> redis::RedisResult<()> {
        let mut conn = self.redis.conn().await?;
        conn.del::<_, ()>(&[self.key(id), self.shopper_key(id)])
            .await
    }

    /// Takes the session's refresh lock with a value of this request's own:
    /// `Some(value)` when this request holds it.
    async fn lock_refresh(&self, id: &str) -> redis::RedisResult<Option<String>> {
        let mut conn = self.redis.conn().await?;
        let key = format!("{}:refresh-lock", self.key(id));
        let value = random_token();
        let taken: Option<String> = redis::cmd("SET")
            .arg(&key)
            .arg(&value)
            .arg("NX")
            .arg("PX")
            .arg(REFRESH_LOCK.as_millis() as u64)
            .query_async(&mut conn)
            .await?;
        Ok(taken.map(|_| value))
    }

    /// Lets the lock go only if it is still this request's (it may have
    /// expired and been taken by another).
    async fn unlock_refresh(&self, id: &str, value: &str) {
        let script = redis::Script::new(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
        );
        if let Ok(mut conn) = self.redis.conn().await {
            let key = format!("{}:refresh-lock", self.key(id));
            let _: redis::RedisResult<i64> =
                script.key(key).arg(value).invoke_async(&mut conn).await;
        }
    }
}

struct Inner {
    id: String,
    data: SessionData,
    /// Not in Redis yet: saved (and its cookie set) only once something is
    /// written to it, so a visitor who only reads pages costs nothing.
    is_new: bool,
    changed: bool,
    /// This request set (or cleared) the shopper.
    shopper_changed: bool,
    /// The new id written by this request, for the response's cookie.
    cookie: Option<String>,
    /// The id this request replaced (sign-in, sign-out): deleted on save.
    replaced: Option<String>,
}

/// The visitor's session, as a handler sees it.
#[derive(Clone)]
pub struct Session {
    inner: Arc<Mutex<Inner>>,
    store: SessionStore,
}

impl Session {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The CSRF token for the forms of this page (the session is kept from now on).
    pub fn csrf(&self) -> String {
        let mut inner = self.lock();
        if inner.is_new {
            inner.changed = true;
        }
        inner.data.csrf.clone()
    }

    pub fn csrf_matches(&self, given: &str) -> bool {
        let inner = self.lock();
        let expected = inner.data.csrf.as_bytes();
        !inner.is_new
            && expected.len() == given.len()
            && expected
                .iter()
                .zip(given.as_bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    pub fn shopper(&self) -> Option<Shopper> {
        self.lock().data.shopper.clone()
    }

    pub fn cart_count(&self) -> i64 {
        self.lock().data.cart_count
    }

    pub fn guest_cart(&self) -> Vec<GuestLine> {
        self.lock().data.cart.clone()
    }

    pub fn update(&self, change: impl FnOnce(&mut SessionData)) {
        let mut inner = self.lock();
        change(&mut inner.data);
        inner.changed = true;
    }

    /// A message for the next page the visitor sees, after any other
    /// still waiting to be shown.
    pub fn notify(&self, message: impl Into<String>) {
        let message = message.into();
        self.update(|d| {
            d.notice = Some(match d.notice.take() {
                Some(earlier) => format!("{earlier} {message}"),
                None => message,
            });
        });
    }

    /// Signs the session in (or out, with `None`).
    pub fn set_shopper(&self, shopper: Option<Shopper>) {
        let mut inner = self.lock();
        inner.data.shopper = shopper;
        inner.shopper_changed = true;
        inner.changed = true;
    }

    /// Changes the signed-in shopper's details (a new name), if signed in.
    pub fn update_customer(&self, customer: Customer) {
        let mut inner = self.lock();
        if let Some(shopper) = &mut inner.data.shopper {
            shopper.customer = customer;
            inner.shopper_changed = true;
        }
    }

    pub fn set_claim_outcome(&self, outcome: crate::pages::sale::ClaimOutcome) {
        self.update(|d| d.claim_outcome = Some(outcome));
    }

    pub fn take_claim_outcome(&self) -> Option<crate::pages::sale::ClaimOutcome> {
        let mut inner = self.lock();
        let outcome = inner.data.claim_outcome.take();
        if outcome.is_some() {
            inner.changed = true;
        }
        outcome
    }

    pub fn take_notice(&self) -> Option<String> {
        let mut inner = self.lock();
        let notice = inner.data.notice.take();
        if notice.is_some() {
            inner.changed = true;
        }
        notice
    }

    /// A new id and CSRF token for the same contents (on sign-in and
    /// sign-out), so an id learnt before cannot ride the new session.
    pub fn rotate(&self) {
        let mut inner = self.lock();
        let old = std::mem::replace(&mut inner.id, random_token());
        if !inner.is_new {
            inner.replaced = Some(old);
        }
        inner.data.csrf = random_token();
        inner.is_new = true;
        inner.changed = true;
    }

    /// The shopper's access token, refreshed first when it is about to
    /// expire. One request of a session refreshes at a time (a rotated
    /// refresh token used twice would end the sign-in); the others wait for
    /// its result. `None` for a guest, or when the sign-in has ended.
    pub async fn access_token(&self, api: &Api, ctx: &Ctx) -> Result<Option<String>, Failure> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let (id, shopper) = {
            let inner = self.lock();
            (inner.id.clone(), inner.data.shopper.clone())
        };
        let Some(shopper) = shopper else {
            return Ok(None);
        };
        if shopper.access_is_fresh(now) {
            return Ok(Some(shopper.access_token));
        }
        let waited_until = tokio::time::Instant::now() + REFRESH_LOCK;
        let lock = loop {
            if let Some(known) = self.refreshed_by_another(&id, now).await {
                return Ok(known);
            }
            match self.store.lock_refresh(&id).await {
                Ok(Some(lock)) => break lock,
                Ok(None) if tokio::time::Instant::now() < waited_until => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                _ => return Err(Failure::Down("the session store")),
            }
        };
        // Read once more under the lock: a refresh that ended between the
        // read above and taking the lock has already spent this token.
        if let Some(known) = self.refreshed_by_another(&id, now).await {
            self.store.unlock_refresh(&id, &lock).await;
            return Ok(known);
        }
        let shopper = self.shopper().unwrap_or(shopper);
        let refreshed = api.refresh(ctx, &shopper.refresh_token).await;
        let outcome = match refreshed {
            Ok(tokens) => {
                let token = tokens.access_token.clone();
                let fresh = Shopper {
                    access_expires_at: now + tokens.expires_in,
                    access_token: tokens.access_token,
                    refresh_token: tokens.refresh_token.unwrap_or(shopper.refresh_token),
                    customer: shopper.customer,
                };
                self.set_shopper(Some(fresh));
                Ok(Some(token))
            }
            Err(Failure::Refused(_)) => {
                // Revoked or expired: the sign-in is over.
                self.set_shopper(None);
                self.notify("Your session has ended. Please sign in again.");
                Ok(None)
            }
            Err(down) => Err(down),
        };
        // Saved before the lock is let go, so a waiting request sees it.
        if let Err(e) = self.save().await {
            tracing::warn!(error = %e, "saving the refreshed session failed");
        }
        self.store.unlock_refresh(&id, &lock).await;
        outcome
    }

    /// What the store holds when another request has refreshed the tokens
    /// (or ended the sign-in) since this one read the session: `Some` with
    /// the token to use (`None` inside when signed out), taken into this
    /// request's copy.
    async fn refreshed_by_another(&self, id: &str, now: i64) -> Option<Option<String>> {
        let stored = self.store.load(id).await.ok()??;
        let token = match &stored.shopper {
            Some(s) if s.access_is_fresh(now) => Some(s.access_token.clone()),
            Some(_) => return None,
            None => None,
        };
        self.lock().data.shopper = stored.shopper;
        Some(token)
    }

    /// Writes what changed; the id whose cookie the response must set, if
    /// this request gave the session a new one.
    async fn save(&self) -> redis::RedisResult<Option<String>> {
        let (id, data, shopper, replaced) = {
            let mut inner = self.lock();
            if inner.is_new && !inner.changed && !inner.shopper_changed {
                // A visitor who only read pages: nothing is kept.
                return Ok(None);
            }
            // A new id is written whole; a known one only where it changed.
            let snapshot = (
                inner.id.clone(),
                (inner.changed || inner.is_new).then(|| inner.data.clone()),
                (inner.shopper_changed || inner.is_new).then(|| inner.data.shopper.clone()),
                inner.replaced.take(),
            );
            if inner.is_new {
                inner.cookie = Some(inner.id.clone());
            }
            inner.is_new = false;
            inner.changed = false;
            inner.shopper_changed = false;
            snapshot
        };
        if let Some(old) = replaced {
            self.store.delete(&old).await?;
        }
        self.store
            .save(&id, data.as_ref(), shopper.as_ref().map(Option::as_ref))
            .await?;
        Ok(self.lock().cookie.clone())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(|| pages::errors::status_page(StatusCode::INTERNAL_SERVER_ERROR))
    }
}

/// Loads the visitor's session before the handler and saves it after.
pub async fn layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let store = state.sessions.clone();
    let given = cookie_value(&req).filter(|id| is_well_formed(id));
    let loaded = match &given {
        Some(id) => match store.load(id).await {
            Ok(data) => data.map(|data| (id.clone(), data)),
            Err(e) => {
                tracing::warn!(error = %e, "the session store is unreachable");
                return pages::errors::unavailable_page("the shop");
            }
        },
        None => None,
    };
    let inner = match loaded {
        Some((id, data)) => Inner {
            id,
            data,
            is_new: false,
            changed: false,
            shopper_changed: false,
            cookie: None,
            replaced: None,
        },
        None => Inner {
            id: random_token(),
            data: SessionData {
                csrf: random_token(),
                ..SessionData::default()
            },
            is_new: true,
            changed: false,
            shopper_changed: false,
            cookie: None,
            replaced: None,
        },
    };
    let session = Session {
        inner: Arc::new(Mutex::new(inner)),
        store,
    };
    req.extensions_mut().insert(session.clone());
    let mut response = next.run(req).await;
    match session.save().await {
        Ok(Some(id)) => {
            let cookie = Cookie::build((COOKIE, id))
                .http_only(true)
                .secure(state.secure_cookies)
                .same_site(SameSite::Lax)
                .path("/")
                .max_age(time::Duration::seconds(
                    i64::try_from(state.sessions.ttl.as_secs()).unwrap_or(i64::MAX),
                ))
                .build();
            if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
        }
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(error = %e, "saving the session failed");
            return pages::errors::unavailable_page("the shop");
        }
    }
    response
}

fn cookie_value(req: &Request) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| Cookie::parse(pair.trim().to_owned()).ok())
        .find(|c| c.name() == COOKIE)
        .map(|c| c.value().to_owned())
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        match self {
            Failure::Down(dependency) => pages::errors::unavailable_page(dependency),
            // The service no longer takes the shopper's token (a sign-in
            // ended elsewhere): signing in again is the way on.
            Failure::Refused(p) if p.status == 401 => {
                axum::response::Redirect::to("/sign-in").into_response()
            }
            Failure::Refused(p) => pages::errors::status_page(
                StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_GATEWAY),
            ),
        }
    }
}
