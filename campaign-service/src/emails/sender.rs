//! Sending one logged email through SES v2 (Simple content: text and HTML).

use anyhow::Context;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message, MessageHeader};

use crate::repo::emails::EmailRow;

#[derive(Clone)]
pub struct EmailSender {
    pub ses: aws_sdk_sesv2::Client,
    pub from: String,
}

fn content(text: &str) -> anyhow::Result<Content> {
    Ok(Content::builder().data(text).charset("UTF-8").build()?)
}

impl EmailSender {
    /// Sends `email`; returns SES's message id.
    pub async fn send(&self, email: &EmailRow) -> anyhow::Result<Option<String>> {
        let mut message = Message::builder().subject(content(&email.subject)?).body(
            Body::builder()
                .text(content(&email.text_body)?)
                .html(content(&email.html_body)?)
                .build(),
        );
        if let Some(link) = &email.list_unsubscribe {
            message = message
                .headers(
                    MessageHeader::builder()
                        .name("List-Unsubscribe")
                        .value(format!("<{link}>"))
                        .build()?,
                )
                .headers(
                    MessageHeader::builder()
                        .name("List-Unsubscribe-Post")
                        .value("List-Unsubscribe=One-Click")
                        .build()?,
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
            .send()
            .await
            .context("SES refused the email")?;
        Ok(output.message_id)
    }
}
