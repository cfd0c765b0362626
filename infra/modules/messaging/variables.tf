variable "name_prefix" {
  description = "Prefix of every topic and queue name: the environment (dev, prod)."
  type        = string
}

variable "kms_key_arn" {
  description = "Key encrypting the topics (queues use SQS-managed encryption)."
  type        = string
}

variable "alarm_topic_arn" {
  description = "Where DLQ-depth alarms go."
  type        = string
}

variable "message_retention_seconds" {
  type    = number
  default = 345600
}
