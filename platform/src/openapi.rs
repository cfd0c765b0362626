//! OpenAPI pieces every service's document shares.

use utoipa::{
    openapi::{
        path::Operation,
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
        ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder,
    },
    Modify,
};
use utoipa_axum::router::OpenApiRouter;

use crate::error::PROBLEM_JSON;

/// Declares the `bearer` security scheme (a JWT from registration-service).
pub struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Splits a service's API router into its routes and the document served at
/// `/docs/<service>/openapi.json` (and committed), with the shared responses
/// of [`document_shared_responses`] added.
pub fn split<S>(router: OpenApiRouter<S>) -> (axum::Router<S>, OpenApi)
where
    S: Clone + Send + Sync + 'static,
{
    let (router, mut doc) = router.split_for_parts();
    document_shared_responses(&mut doc);
    (router, doc)
}

/// Documents, on every operation that does not declare them itself, the
/// problem+json responses the shared extractors and layers give: 400 for a
/// parameter that does not parse or a body that is not JSON, 413/415 for a
/// body too large or not JSON, 422 for invalid fields, and 401/403 on
/// operations that take a token.
pub fn document_shared_responses(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            for (status, description) in shared_responses(operation) {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| problem_response(description));
            }
        }
    }
}

fn shared_responses(operation: &Operation) -> Vec<(&'static str, &'static str)> {
    let has_parameters = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let has_body = operation.request_body.is_some();
    let needs_token = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let mut responses = Vec::new();
    if has_parameters || has_body {
        responses.push((
            "400",
            "A parameter that does not parse, or a body that is not JSON",
        ));
        responses.push(("422", "Invalid parameters or fields"));
    }
    if has_body {
        responses.push(("413", "The body is too large"));
        responses.push(("415", "The body is not `application/json`"));
    }
    if needs_token {
        responses.push(("401", "No valid bearer token"));
        responses.push(("403", "The token's role may not call this operation"));
    }
    responses
}

fn problem_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                PROBLEM_JSON,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build(),
    )
}
