//! Per-test topics and queues on the AWS emulator, and reading back what it received.

use std::time::Duration;

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};

use crate::{
    config::AwsSettings,
    messaging::{bootstrap_with, BootstrapOptions, Provisioned, Topology},
};

/// The emulator the test command started (`AWS_ENDPOINT_URL`).
pub fn emulator_endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| {
        panic!("tests need the AWS emulator at AWS_ENDPOINT_URL; run them with `cargo xtask test`")
    })
}

pub fn settings() -> AwsSettings {
    AwsSettings {
        region: "us-east-1".to_owned(),
        endpoint_url: Some(emulator_endpoint()),
    }
}

pub struct TestMessaging {
    pub prefix: String,
    pub sdk: aws_config::SdkConfig,
    pub provisioned: Provisioned,
}

impl TestMessaging {
    /// Creates the repository's topology under `prefix`, with short
    /// visibility timeouts so redelivery can be observed quickly.
    pub async fn bootstrap(prefix: &str) -> Self {
        let sdk = crate::aws::sdk_config(&settings()).await;
        let topology = Topology::repository().expect("infra/messaging.yaml parses");
        let options = BootstrapOptions {
            visibility_timeout_seconds: Some(VISIBILITY_TIMEOUT.as_secs() as u32),
        };
        let provisioned = bootstrap_with(&sdk, &topology, prefix, &options)
            .await
            .expect("bootstrapping messaging on the emulator");
        Self {
            prefix: prefix.to_owned(),
            sdk,
            provisioned,
        }
    }

    pub fn topic_arn(&self, service: &str) -> String {
        self.provisioned
            .topic_arn(service)
            .unwrap_or_else(|| panic!("no topic for {service}"))
            .to_owned()
    }

    /// Publishes `envelope` to `service`'s topic as the outbox relay would.
    pub async fn publish(&self, service: &str, envelope: &crate::events::Envelope) {
        let sns = aws_sdk_sns::Client::new(&self.sdk);
        let attribute = aws_sdk_sns::types::MessageAttributeValue::builder()
            .data_type("String")
            .string_value(&envelope.event_type)
            .build()
            .expect("a valid attribute");
        sns.publish()
            .topic_arn(self.topic_arn(service))
            .message(serde_json::to_string(envelope).expect("envelopes serialise"))
            .message_attributes(crate::events::EVENT_TYPE_ATTRIBUTE, attribute)
            .send()
            .await
            .expect("publishing to the test topic");
    }

    /// Messages waiting in `queue_url` (approximate, as SQS reports it).
    pub async fn depth(&self, queue_url: &str) -> i64 {
        let sqs = aws_sdk_sqs::Client::new(&self.sdk);
        let out = sqs
            .get_queue_attributes()
            .queue_url(queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(
                aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
            )
            .send()
            .await
            .expect("reading queue attributes");
        out.attributes
            .unwrap_or_default()
            .values()
            .filter_map(|v| v.parse::<i64>().ok())
            .sum()
    }

    pub fn queue_url(&self, service: &str) -> String {
        self.provisioned
            .queue_url(service)
            .unwrap_or_else(|| panic!("no queue for {service}"))
            .to_owned()
    }

    /// Receives and deletes every message arriving within `window`.
    pub async fn drain(&self, queue_url: &str, window: Duration) -> Vec<Message> {
        let sqs = aws_sdk_sqs::Client::new(&self.sdk);
        let deadline = tokio::time::Instant::now() + window;
        let mut all = Vec::new();
        while tokio::time::Instant::now() < deadline {
            let out = sqs
                .receive_message()
                .queue_url(queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .message_attribute_names("All")
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .send()
                .await
                .expect("receiving from the test queue");
            for message in out.messages.unwrap_or_default() {
                if let Some(handle) = message.receipt_handle() {
                    sqs.delete_message()
                        .queue_url(queue_url)
                        .receipt_handle(handle)
                        .send()
                        .await
                        .expect("deleting a received message");
                }
                all.push(message);
            }
        }
        all
    }
}

/// Test queues redeliver after this long.
pub const VISIBILITY_TIMEOUT: Duration = Duration::from_secs(2);

/// Emails the emulator accepted for `recipient` (moto's `/moto-api/data.json`).
pub async fn emails_to(recipient: &str) -> Vec<serde_json::Value> {
    let url = format!("{}/moto-api/data.json", emulator_endpoint());
    let data: serde_json::Value = reqwest::get(&url)
        .await
        .and_then(reqwest::Response::error_for_status)
        .expect("reading the emulator's data")
        .json()
        .await
        .expect("the emulator's data is JSON");
    // moto lists the messages as an array (older versions: an object by id).
    let messages: Vec<serde_json::Value> = match data.pointer("/ses/Message") {
        Some(serde_json::Value::Array(items)) => items.clone(),
        Some(serde_json::Value::Object(by_id)) => by_id.values().cloned().collect(),
        _ => Vec::new(),
    };
    messages
        .into_iter()
        .filter(|m| {
            m.pointer("/destinations/ToAddresses")
                .and_then(|a| a.as_array())
                .is_some_and(|a| a.iter().any(|to| to.as_str() == Some(recipient)))
        })
        .collect()
}
