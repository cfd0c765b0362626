use platform::FieldError;
use secrecy::SecretString;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{Email, OptionalText, Password, PersonName};

/// The body of `POST /customers`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "grace@example.com", "password": "correct horse battery", "first_name": "Grace", "last_name": "Hopper", "city": "Arlington", "marketing_opt_in": true}))]
pub struct RegisterRequest {
    pub email: String,
    /// 10 to 128 characters.
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub postal_code: Option<String>,
    #[serde(default)]
    pub marketing_opt_in: bool,
}

/// A registration whose every field is valid.
#[derive(Debug)]
pub struct NewCustomer {
    pub email: Email,
    pub password: Password,
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub phone: OptionalText,
    pub city: OptionalText,
    pub province: OptionalText,
    pub postal_code: OptionalText,
    pub marketing_opt_in: bool,
}

impl TryFrom<RegisterRequest> for NewCustomer {
    type Error = Vec<FieldError>;

    /// Checks every field and reports all the invalid ones at once.
    fn try_from(body: RegisterRequest) -> Result<Self, Self::Error> {
        let mut errors = Vec::new();
        let mut check = |field: &str, result: Result<(), String>| {
            if let Err(message) = result {
                errors.push(FieldError::new(field, message));
            }
        };
        let email = Email::parse(&body.email);
        check(
            "email",
            email.as_ref().map(|_| ()).map_err(|e| (*e).to_owned()),
        );
        let password = Password::parse(body.password);
        check(
            "password",
            password.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        let first_name = PersonName::parse(&body.first_name);
        check(
            "first_name",
            first_name.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        let last_name = PersonName::parse(&body.last_name);
        check(
            "last_name",
            last_name.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        let phone = OptionalText::parse(body.phone.as_deref(), 32);
        check("phone", phone.as_ref().map(|_| ()).map_err(Clone::clone));
        let city = OptionalText::parse(body.city.as_deref(), 100);
        check("city", city.as_ref().map(|_| ()).map_err(Clone::clone));
        let province = OptionalText::parse(body.province.as_deref(), 100);
        check(
            "province",
            province.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        let postal_code = OptionalText::parse(body.postal_code.as_deref(), 16);
        check(
            "postal_code",
            postal_code.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        match (
            email,
            password,
            first_name,
            last_name,
            phone,
            city,
            province,
            postal_code,
        ) {
            (
                Ok(email),
                Ok(password),
                Ok(first_name),
                Ok(last_name),
                Ok(phone),
                Ok(city),
                Ok(province),
                Ok(postal_code),
            ) => Ok(Self {
                email,
                password,
                first_name,
                last_name,
                phone,
                city,
                province,
                postal_code,
                marketing_opt_in: body.marketing_opt_in,
            }),
            _ => Err(errors),
        }
    }
}
