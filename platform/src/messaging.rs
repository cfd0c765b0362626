//! The messaging topology file and the bootstrap that creates it.

use std::{collections::BTreeMap, path::Path};

use anyhow::Context;
use aws_sdk_sqs::types::QueueAttributeName;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topology {
    pub topics: Vec<TopicSpec>,
    #[serde(default)]
    pub queues: Vec<QueueSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicSpec {
    pub service: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSpec {
    pub service: String,
    pub visibility_timeout_seconds: u32,
    pub max_receive_count: u32,
    pub subscriptions: Vec<SubscriptionSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionSpec {
    pub topic: String,
    pub event_types: Vec<String>,
}

impl Topology {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let topology: Self =
            serde_yaml::from_str(text).context("parsing the messaging topology")?;
        for queue in &topology.queues {
            for sub in &queue.subscriptions {
                anyhow::ensure!(
                    topology.topics.iter().any(|t| t.service == sub.topic),
                    "queue {} subscribes to unknown topic {}",
                    queue.service,
                    sub.topic
                );
            }
        }
        Ok(topology)
    }

    /// The topology in this repository (`infra/messaging.yaml`).
    pub fn repository() -> anyhow::Result<Self> {
        Self::parse(include_str!("../../infra/messaging.yaml"))
    }
}

pub fn topic_name(prefix: &str, service: &str) -> String {
    format!("{prefix}-{service}-events")
}

pub fn queue_name(prefix: &str, service: &str) -> String {
    format!("{prefix}-{service}-events")
}

/// The dead-letter queue's URL: the queue's with `-dlq` appended (the
/// naming rule both the bootstrap and Terraform follow).
pub fn dlq_url_of(queue_url: &str) -> String {
    format!("{queue_url}-dlq")
}

#[derive(Debug, Clone, Default)]
pub struct BootstrapOptions {
    /// Overrides every queue's visibility timeout (tests use a short one).
    pub visibility_timeout_seconds: Option<u32>,
}

/// What the bootstrap created (or found), by service.
#[derive(Debug, Clone, Default)]
pub struct Provisioned {
    pub topics: BTreeMap<String, String>,
    pub queues: BTreeMap<String, String>,
    pub dead_letter_queues: BTreeMap<String, String>,
}

impl Provisioned {
    pub fn topic_arn(&self, service: &str) -> Option<&str> {
        self.topics.get(service).map(String::as_str)
    }
    pub fn queue_url(&self, service: &str) -> Option<&str> {
        self.queues.get(service).map(String::as_str)
    }
    pub fn dead_letter_queue_url(&self, service: &str) -> Option<&str> {
        self.dead_letter_queues.get(service).map(String::as_str)
    }
}

pub async fn bootstrap(
    sdk: &aws_config::SdkConfig,
    topology: &Topology,
    prefix: &str,
) -> anyhow::Result<Provisioned> {
    bootstrap_with(sdk, topology, prefix, &BootstrapOptions::default()).await
}

/// Creates topics, queues, DLQs and subscriptions; safe to run again.
pub async fn bootstrap_with(
    sdk: &aws_config::SdkConfig,
    topology: &Topology,
    prefix: &str,
    options: &BootstrapOptions,
) -> anyhow::Result<Provisioned> {
    let sns = aws_sdk_sns::Client::new(sdk);
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let mut out = Provisioned::default();
    for topic in &topology.topics {
        let name = topic_name(prefix, &topic.service);
        let arn = sns
            .create_topic()
            .name(&name)
            .send()
            .await
            .with_context(|| format!("creating topic {name}"))?
            .topic_arn
            .context("CreateTopic returned no ARN")?;
        out.topics.insert(topic.service.clone(), arn);
    }
    for queue in &topology.queues {
        let (url, dlq_url) = create_queue(&sqs, prefix, queue, options).await?;
        let queue_arn = queue_arn(&sqs, &url).await?;
        let topic_arns: Vec<&str> = queue
            .subscriptions
            .iter()
            .filter_map(|s| out.topic_arn(&s.topic))
            .collect();
        allow_topics_to_send(&sqs, &url, &queue_arn, &topic_arns).await?;
        for sub in &queue.subscriptions {
            let topic_arn = out
                .topic_arn(&sub.topic)
                .context("subscription to unknown topic")?;
            let filter =
                serde_json::json!({ crate::events::EVENT_TYPE_ATTRIBUTE: sub.event_types });
            sns.subscribe()
                .topic_arn(topic_arn)
                .protocol("sqs")
                .endpoint(&queue_arn)
                .attributes("RawMessageDelivery", "true")
                .attributes("FilterPolicy", filter.to_string())
                .return_subscription_arn(true)
                .send()
                .await
                .with_context(|| format!("subscribing {} to {}", queue.service, sub.topic))?;
        }
        out.queues.insert(queue.service.clone(), url);
        out.dead_letter_queues
            .insert(queue.service.clone(), dlq_url);
    }
    Ok(out)
}

async fn create_queue(
    sqs: &aws_sdk_sqs::Client,
    prefix: &str,
    spec: &QueueSpec,
    options: &BootstrapOptions,
) -> anyhow::Result<(String, String)> {
    let name = queue_name(prefix, &spec.service);
    let dlq_name = format!("{name}-dlq");
    let dlq_url = sqs
        .create_queue()
        .queue_name(&dlq_name)
        .attributes(QueueAttributeName::MessageRetentionPeriod, "1209600")
        .send()
        .await
        .with_context(|| format!("creating queue {dlq_name}"))?
        .queue_url
        .context("CreateQueue returned no URL")?;
    let dlq_arn = queue_arn(sqs, &dlq_url).await?;
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": spec.max_receive_count,
    });
    let visibility = options
        .visibility_timeout_seconds
        .unwrap_or(spec.visibility_timeout_seconds);
    let url = sqs
        .create_queue()
        .queue_name(&name)
        .attributes(
            QueueAttributeName::VisibilityTimeout,
            visibility.to_string(),
        )
        .attributes(QueueAttributeName::RedrivePolicy, redrive.to_string())
        .send()
        .await
        .with_context(|| format!("creating queue {name}"))?
        .queue_url
        .context("CreateQueue returned no URL")?;
    Ok((url, dlq_url))
}

async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> anyhow::Result<String> {
    sqs.get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .with_context(|| format!("reading the ARN of {url}"))?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .context("queue has no ARN")
}

async fn allow_topics_to_send(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    queue_arn: &str,
    topic_arns: &[&str],
) -> anyhow::Result<()> {
    if topic_arns.is_empty() {
        return Ok(());
    }
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": topic_arns}},
        }],
    });
    sqs.set_queue_attributes()
        .queue_url(url)
        .attributes(QueueAttributeName::Policy, policy.to_string())
        .send()
        .await
        .context("setting the queue policy")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_topology_parses_and_subscribes_only_to_declared_topics() {
        let topology = Topology::repository().expect("infra/messaging.yaml parses");
        assert!(topology.topics.iter().any(|t| t.service == "registration"));
    }

    #[test]
    fn a_subscription_to_an_undeclared_topic_is_rejected() {
        let yaml = "topics: []\nqueues:\n  - service: a\n    visibility_timeout_seconds: 5\n    max_receive_count: 5\n    subscriptions:\n      - topic: nope\n        event_types: [x]\n";
        let err = Topology::parse(yaml).unwrap_err();
        assert!(err.to_string().contains("unknown topic nope"), "{err}");
    }
}
