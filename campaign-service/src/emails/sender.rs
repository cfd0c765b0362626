//! Sending one logged email through SES v2 (Simple content: text and HTML).

use std::time::Duration;

use aws_sdk_sesv2::{
    config::{retry::RetryConfig, timeout::TimeoutConfig},
    error::SdkError,
    types::{Body, Content, Destination, EmailContent, Message, MessageHeader},
};

use crate::repo::emails::EmailRow;

#[derive(Clone)]
pub struct EmailSender {
    pub ses: aws_sdk_sesv2::Client,
    pub from: String,
}

fn content(text: &str) -> anyhow::Result<Content> {
    Ok(Content::builder().data(text).charset("UTF-8").build()?)
}

/// How long one send may take. SES v2 `SendEmail` has no idempotency key, so
/// a send whose answer is lost cannot be told apart from one that never
/// happened: the send is tried once (no SDK retries) and given long enough
/// to outlast a stall of SES (or the emulator), and the email's send lease
/// (`SEND_LEASE`) is longer still, so no second send starts while one may
/// still land.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(60);
pub const SEND_LEASE: Duration = Duration::from_secs(90);

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// SES answered no: nothing was sent, the email may be tried again now.
    #[error("SES refused the email: {0:#}")]
    Refused(anyhow::Error),
    /// No answer (timeout, connection lost): it may or may not have been sent.
    #[error("SES did not answer: {0:#}")]
    Unknown(anyhow::Error),
}

impl EmailSender {
    /// Sends `email`; returns SES's message id.
    pub async fn send(&self, email: &EmailRow) -> Result<Option<String>, SendError> {
        let refused = |e: anyhow::Error| SendError::Refused(e);
        let mut message = Message::builder()
            .subject(content(&email.subject).map_err(refused)?)
            .body(
                Body::builder()
                    .text(content(&email.text_body).map_err(refused)?)
                    .html(content(&email.html_body).map_err(refused)?)
                    .build(),
            );
        if let Some(link) = &email.list_unsubscribe {
            message = message
                .headers(
                    MessageHeader::builder()
                        .name("List-Unsubscribe")
                        .value(format!("<{link}>"))
                        .build()
                        .map_err(|e| refused(e.into()))?,
                )
                .headers(
                    MessageHeader::builder()
                        .name("List-Unsubscribe-Post")
                        .value("List-Unsubscribe=One-Click")
                        .build()
                        .map_err(|e| refused(e.into()))?,
                );
        }
        let output = self
            .ses
            .send_email()
            .from_email_address(&self.from)
            .destination(
                Destination::builder()
                    .to_addresses(&email.recipient)
                    .build(),
            )
            .content(EmailContent::builder().simple(message.build()).build())
            .customize()
            .config_override(
                aws_sdk_sesv2::config::Builder::default()
                    .retry_config(RetryConfig::disabled())
                    .timeout_config(
                        TimeoutConfig::builder()
                            .operation_attempt_timeout(SEND_TIMEOUT)
                            .operation_timeout(SEND_TIMEOUT)
                            .build(),
                    ),
            )
            .send()
            .await
            .map_err(|err| match err {
                SdkError::ServiceError(_) | SdkError::ConstructionFailure(_) => {
                    SendError::Refused(err.into())
                }
                other => SendError::Unknown(other.into()),
            })?;
        Ok(output.message_id)
    }
}
