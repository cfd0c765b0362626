# Topics, queues, dead-letter queues, filtered subscriptions, queue
# policies and DLQ-depth alarms, all derived from infra/messaging.yaml, the
# file the local bootstrap (platform::messaging) reads too.

data "aws_iam_policy_document" "queue" {
  for_each = local.queues

  statement {
    sid       = "TopicsDeliver"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.this[each.key].arn]
    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [for s in each.value.subscriptions : aws_sns_topic.this[s.topic].arn]
    }
  }
}

locals {
  topology = yamldecode(file("${path.module}/../../messaging.yaml"))

  topics = { for t in local.topology.topics : t.service => t }
  queues = { for q in local.topology.queues : q.service => q }

  # "<queue>-<topic>" => one subscription
  subscriptions = merge([
    for q in local.topology.queues : {
      for s in q.subscriptions : "${q.service}-${s.topic}" => {
        queue       = q.service
        topic       = s.topic
        event_types = s.event_types
      }
    }
  ]...)
}

resource "aws_sns_topic" "this" {
  for_each          = local.topics
  name              = "${var.name_prefix}-${each.key}-events"
  kms_master_key_id = var.kms_key_arn
}

resource "aws_sqs_queue" "dlq" {
  for_each                  = local.queues
  name                      = "${var.name_prefix}-${each.key}-events-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "this" {
  for_each                   = local.queues
  name                       = "${var.name_prefix}-${each.key}-events"
  visibility_timeout_seconds = each.value.visibility_timeout_seconds
  message_retention_seconds  = var.message_retention_seconds
  receive_wait_time_seconds  = 20
  sqs_managed_sse_enabled    = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[each.key].arn
    maxReceiveCount     = each.value.max_receive_count
  })
}

# Only the queue it serves may use a DLQ; the redrive command moves messages back.
resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  for_each  = local.queues
  queue_url = aws_sqs_queue.dlq[each.key].id

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.this[each.key].arn]
  })
}

resource "aws_sqs_queue_policy" "this" {
  for_each  = local.queues
  queue_url = aws_sqs_queue.this[each.key].id
  policy    = data.aws_iam_policy_document.queue[each.key].json
}

resource "aws_sns_topic_subscription" "this" {
  for_each             = local.subscriptions
  topic_arn            = aws_sns_topic.this[each.value.topic].arn
  protocol             = "sqs"
  endpoint             = aws_sqs_queue.this[each.value.queue].arn
  raw_message_delivery = true
  filter_policy_scope  = "MessageAttributes"
  filter_policy        = jsonencode({ event_type = each.value.event_types })

  depends_on = [aws_sqs_queue_policy.this]
}

resource "aws_cloudwatch_metric_alarm" "dlq_depth" {
  for_each            = local.queues
  alarm_name          = "${var.name_prefix}-${each.key}-events-dlq-depth"
  alarm_description   = "Messages in ${aws_sqs_queue.dlq[each.key].name}: a consumer failed ${each.value.max_receive_count} times. Fix the cause, then redrive."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq[each.key].name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = [var.alarm_topic_arn]
  ok_actions          = [var.alarm_topic_arn]
}
