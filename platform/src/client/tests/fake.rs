//! A real HTTP dependency on a free port: a token endpoint like
//! registration-service's and scripted answers everywhere else, counting what
//! it receives.

use std::{
    collections::{HashSet, VecDeque},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use axum::{
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::post,
    Router,
};
use bytes::Bytes;
use serde_json::{json, Value};

pub const CLIENT_ID: &str = "order-service";
pub const CLIENT_SECRET: &str = "s3cret-for-tests";

/// What the dependency answers to one call.
#[derive(Debug, Clone, Copy)]
pub enum Reply {
    Status(StatusCode, &'static str),
    /// Answers 200 only after this long.
    Slow(Duration),
}

/// One call as the dependency saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub path: String,
    pub authorization: Option<String>,
    pub request_id: Option<String>,
    pub user_agent: Option<String>,
    pub content_type: Option<String>,
    pub forwarded_for: Option<String>,
    pub idempotency_key: Option<String>,
    pub body: Bytes,
}

pub struct Behaviour {
    /// Answers taken in order; once empty, `otherwise` answers.
    pub script: VecDeque<Reply>,
    pub otherwise: Reply,
    /// Tokens answered with 401.
    pub revoked: HashSet<String>,
    pub revoke_all: bool,
    pub token_expires_in: i64,
    pub token_delay: Duration,
    /// When set, the token endpoint answers this status.
    pub token_failure: Option<StatusCode>,
}

#[derive(Default)]
struct Counts {
    calls: AtomicUsize,
    token_fetches: AtomicUsize,
}

struct Shared {
    behaviour: Mutex<Behaviour>,
    seen: Mutex<Vec<Seen>>,
    /// The User-Agent of each request the token endpoint received.
    token_user_agents: Mutex<Vec<Option<String>>>,
    counts: Counts,
}

pub struct FakeDependency {
    pub url: String,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeDependency {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeDependency {
    pub async fn start() -> Self {
        let shared = Arc::new(Shared {
            behaviour: Mutex::new(Behaviour {
                script: VecDeque::new(),
                otherwise: Reply::Status(StatusCode::OK, r#"{"ok":true}"#),
                revoked: HashSet::new(),
                revoke_all: false,
                token_expires_in: 900,
                token_delay: Duration::ZERO,
                token_failure: None,
            }),
            seen: Mutex::new(Vec::new()),
            token_user_agents: Mutex::new(Vec::new()),
            counts: Counts::default(),
        });
        let app = Router::new()
            .route("/auth/token", post(issue_token))
            .fallback(answer)
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            url,
            shared,
            server,
        }
    }

    /// Changes how the dependency behaves from now on.
    pub fn set(&self, change: impl FnOnce(&mut Behaviour)) {
        change(&mut self.shared.behaviour.lock().unwrap());
    }

    /// Answers these, in order, before falling back to `otherwise`.
    pub fn script(&self, replies: &[Reply]) {
        self.set(|b| b.script.extend(replies.iter().copied()));
    }

    /// Calls received outside the token endpoint.
    pub fn calls(&self) -> usize {
        self.shared.counts.calls.load(Ordering::SeqCst)
    }

    /// Requests the token endpoint received.
    pub fn token_fetches(&self) -> usize {
        self.shared.counts.token_fetches.load(Ordering::SeqCst)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }

    pub fn token_user_agents(&self) -> Vec<Option<String>> {
        self.shared.token_user_agents.lock().unwrap().clone()
    }
}

async fn issue_token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let n = shared.counts.token_fetches.fetch_add(1, Ordering::SeqCst) + 1;
    let user_agent = headers
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    shared.token_user_agents.lock().unwrap().push(user_agent);
    let (delay, failure, expires_in) = {
        let b = shared.behaviour.lock().unwrap();
        (b.token_delay, b.token_failure, b.token_expires_in)
    };
    tokio::time::sleep(delay).await;
    if let Some(status) = failure {
        return status.into_response();
    }
    let grant: Value = serde_json::from_slice(&body).unwrap_or_default();
    let expected = json!({
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    });
    if grant != expected {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    axum::Json(json!({
        "access_token": format!("token-{n}"),
        "token_type": "Bearer",
        "expires_in": expires_in,
    }))
    .into_response()
}

async fn answer(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.counts.calls.fetch_add(1, Ordering::SeqCst);
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let authorization = header("authorization");
    shared.seen.lock().unwrap().push(Seen {
        method,
        path: uri.to_string(),
        authorization: authorization.clone(),
        request_id: header("x-request-id"),
        user_agent: header("user-agent"),
        content_type: header("content-type"),
        forwarded_for: header("x-forwarded-for"),
        idempotency_key: header("idempotency-key"),
        body,
    });
    let reply = {
        let mut b = shared.behaviour.lock().unwrap();
        let token = authorization
            .as_deref()
            .and_then(|a| a.strip_prefix("Bearer "))
            .unwrap_or_default();
        if b.revoke_all || b.revoked.contains(token) || token.is_empty() {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        b.script.pop_front().unwrap_or(b.otherwise)
    };
    match reply {
        Reply::Status(status, body) => (status, body).into_response(),
        Reply::Slow(delay) => {
            tokio::time::sleep(delay).await;
            (StatusCode::OK, r#"{"ok":true}"#).into_response()
        }
    }
}
