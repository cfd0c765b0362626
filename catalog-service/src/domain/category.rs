//! Category input.

use platform::FieldError;
use serde::Deserialize;
use utoipa::ToSchema;

/// The body of `POST /categories`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Kitchen", "description": "Mugs, pans and everything for cooking"}))]
pub struct CategoryRequest {
    /// 1 to 100 characters; unique (ignoring case).
    pub name: String,
    /// Up to 1000 characters.
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct NewCategory {
    pub name: String,
    pub description: String,
}

impl TryFrom<CategoryRequest> for NewCategory {
    type Error = Vec<FieldError>;

    fn try_from(body: CategoryRequest) -> Result<Self, Self::Error> {
        let mut errors = Vec::new();
        let name = body.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 {
            errors.push(FieldError::new("name", "must be 1 to 100 characters"));
        }
        let description = body.description.trim().to_owned();
        if description.chars().count() > 1000 {
            errors.push(FieldError::new(
                "description",
                "must be at most 1000 characters",
            ));
        }
        if errors.is_empty() {
            Ok(Self { name, description })
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        let ok = NewCategory::try_from(CategoryRequest {
            name: " Kitchen ".to_owned(),
            description: String::new(),
        })
        .unwrap();
        assert_eq!(ok.name, "Kitchen");
        for bad in ["", "   ", &"x".repeat(101)] {
            let err = NewCategory::try_from(CategoryRequest {
                name: bad.to_owned(),
                description: String::new(),
            });
            assert!(err.is_err(), "{bad:?}");
        }
    }
}
