output "topic_arns" {
  description = "Producing service => its topic ARN."
  value       = { for k, t in aws_sns_topic.this : k => t.arn }
}

output "queue_arns" {
  description = "Consuming service => its queue ARN."
  value       = { for k, q in aws_sqs_queue.this : k => q.arn }
}

output "queue_urls" {
  value = { for k, q in aws_sqs_queue.this : k => q.id }
}

output "queue_names" {
  value = { for k, q in aws_sqs_queue.this : k => q.name }
}

output "queue_visibility_timeouts" {
  value = { for k, q in local.queues : k => q.visibility_timeout_seconds }
}

output "dead_letter_queue_urls" {
  value = { for k, q in aws_sqs_queue.dlq : k => q.id }
}

output "dead_letter_queue_names" {
  value = { for k, q in aws_sqs_queue.dlq : k => q.name }
}
