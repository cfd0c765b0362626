//! A JSON body extractor whose rejections are problem+json naming the field.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::header,
    response::{IntoResponse, Response},
};
use serde::{de::DeserializeOwned, Serialize};

use crate::error::{ApiError, FieldError};

/// Like `axum::Json`, but rejections are problem+json with a field name.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !has_json_content_type(&req) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::BadRequest("the request body could not be read".to_owned())
            }
        })?;
        parse_json(&bytes).map(Json)
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// As [`Json`], for a body that must be a JSON object: serde also reads a
/// struct from an array (`[true]` for `{"flag": true}`), which no client
/// means and an API should refuse (422).
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonObject<T>(pub T);

impl<T, S> FromRequest<S> for JsonObject<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<serde_json::Value>::from_request(req, state).await?;
        if !value.is_object() {
            return Err(ApiError::validation("body", "must be a JSON object"));
        }
        parse_value(value).map(JsonObject)
    }
}

/// Like `axum::extract::Query`, but rejections are problem+json (422).
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let pairs = form_urlencoded::parse(query.as_bytes());
        if let Some((name, _)) = pairs
            .clone()
            .find(|(name, value)| name.contains('\0') || value.contains('\0'))
        {
            return Err(ApiError::Validation(vec![FieldError::new(
                name.replace('\0', ""),
                NUL_MESSAGE,
            )]));
        }
        let de = serde_urlencoded::Deserializer::new(pairs);
        serde_path_to_error::deserialize(de)
            .map(Query)
            .map_err(|err| {
                let path = err.path().to_string();
                let message = err.into_inner().to_string();
                ApiError::Validation(vec![FieldError::new(field_name(&path, &message), message)])
            })
    }
}

fn has_json_content_type(req: &Request) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let mime = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Postgres cannot store U+0000 in text or JSON, so no input may carry it.
const NUL_MESSAGE: &str = "must not contain NUL (U+0000) characters";

/// Deserialises `bytes`, turning serde's error into a field error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if let Some(field) = string_with_nul(bytes) {
        return Err(ApiError::Validation(vec![FieldError::new(
            field,
            NUL_MESSAGE,
        )]));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(parse_error)
}

/// Like [`parse_json`], from a body already read as JSON (by [`Json`]
/// `<serde_json::Value>`, which refused U+0000 on the way).
pub fn parse_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(parse_error)
}

fn parse_error(err: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = err.path().to_string();
    let inner = err.into_inner();
    if inner.is_syntax() || inner.is_eof() {
        return ApiError::BadRequest(format!("the body is not valid JSON: {inner}"));
    }
    let message = strip_position(&inner.to_string());
    let field = field_name(&path, &message);
    ApiError::Validation(vec![FieldError::new(field, message)])
}

/// The path of the first string (or key) holding U+0000, which valid JSON
/// can only spell as the escape `\u0000`; `None` when there is none (or the
/// body is not JSON, which parsing reports).
fn string_with_nul(bytes: &[u8]) -> Option<String> {
    let mut escaped_nul = false;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            if bytes[i + 1..].starts_with(b"u0000") {
                escaped_nul = true;
                break;
            }
            i += 1;
        }
        i += 1;
    }
    if !escaped_nul {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    nul_path(&value, "")
}

fn nul_path(value: &serde_json::Value, path: &str) -> Option<String> {
    let at = |path: &str| match path {
        "" => "body".to_owned(),
        path => path.to_owned(),
    };
    match value {
        serde_json::Value::String(s) if s.contains('\0') => Some(at(path)),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_path(item, &format!("{path}[{i}]"))),
        serde_json::Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            if key.contains('\0') {
                return Some(at(path));
            }
            let child = match path {
                "" => key.clone(),
                path => format!("{path}.{key}"),
            };
            nul_path(item, &child)
        }),
        _ => None,
    }
}

/// serde_json appends " at line 1 column 20"; clients do not need it.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// For a missing field serde reports the parent's path (for an unknown one,
/// the field's own); the field itself is quoted in the message.
fn field_name(path: &str, message: &str) -> String {
    let quoted = message
        .split('`')
        .nth(1)
        .filter(|_| message.starts_with("missing field") || message.starts_with("unknown field"));
    match (path, quoted) {
        (".", Some(name)) => name.to_owned(),
        (path, Some(name)) if path == name || path.ends_with(&format!(".{name}")) => {
            path.to_owned()
        }
        (parent, Some(name)) => format!("{parent}.{name}"),
        (".", None) => "body".to_owned(),
        (path, None) => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        age: u8,
    }

    fn field_of(json: &str) -> String {
        match parse_json::<Body>(json.as_bytes()) {
            Err(ApiError::Validation(errors)) => errors[0].field.clone(),
            other => panic!("expected a validation error for {json}, got {other:?}"),
        }
    }

    #[test]
    fn a_missing_field_is_named() {
        assert_eq!(field_of(r#"{"name": "x"}"#), "age");
    }

    #[test]
    fn a_wrongly_typed_field_is_named() {
        assert_eq!(field_of(r#"{"name": 5, "age": 1}"#), "name");
    }

    #[test]
    fn an_unknown_field_is_named() {
        assert_eq!(
            field_of(r#"{"name": "x", "age": 1, "role": "admin"}"#),
            "role"
        );
    }

    #[test]
    fn a_missing_nested_field_is_named_by_its_path() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Outer {
            inner: Body,
        }
        let err = parse_json::<Outer>(br#"{"inner": {"name": "x"}}"#);
        match err {
            Err(ApiError::Validation(errors)) => assert_eq!(errors[0].field, "inner.age"),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn a_nul_character_anywhere_is_refused_naming_the_field() {
        let cases = [
            (r#"{"name": "a\u0000b", "age": 1}"#, "name"),
            (r#"{"inner": {"tags": ["ok", "\u0000"]}}"#, "inner.tags[1]"),
            (r#"{"inner": {"a\u0000": 1}}"#, "inner"),
            (r#""\u0000""#, "body"),
        ];
        for (json, field) in cases {
            match parse_json::<serde_json::Value>(json.as_bytes()) {
                Err(ApiError::Validation(errors)) => assert_eq!(errors[0].field, field, "{json}"),
                other => panic!("expected a validation error for {json}, got {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn a_nul_character_in_the_query_is_refused_naming_the_parameter() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Search {
            q: String,
        }
        let request = axum::http::Request::builder()
            .uri("/products?q=mug%00")
            .body(())
            .unwrap();
        let (mut parts, ()) = request.into_parts();
        let rejection = <Query<Search> as axum::extract::FromRequestParts<()>>::from_request_parts(
            &mut parts,
            &(),
        )
        .await
        .unwrap_err();
        match rejection {
            ApiError::Validation(errors) => assert_eq!(errors[0].field, "q"),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn an_escaped_backslash_before_u0000_is_plain_text() {
        let parsed = parse_json::<serde_json::Value>(br#"{"path": "C:\\u0000"}"#).unwrap();
        assert_eq!(parsed["path"], "C:\\u0000");
    }

    #[test]
    fn broken_json_is_a_bad_request() {
        assert!(matches!(
            parse_json::<Body>(b"{not json"),
            Err(ApiError::BadRequest(_))
        ));
    }
}
