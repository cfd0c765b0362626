variable "name" {
  type = string
}

variable "kms_key_arn" {
  description = "Key encrypting the alarm topic (its policy lets CloudWatch use it)."
  type        = string
}

variable "alarm_email" {
  description = "Address subscribed to alarms (confirm the e-mail AWS sends); empty for none."
  type        = string
  default     = ""
}

variable "alb_arn_suffix" {
  type = string
}

variable "target_group_arn_suffixes" {
  description = "Service => its target group ARN suffix."
  type        = map(string)
}

variable "ecs_cluster_name" {
  type = string
}

variable "ecs_service_names" {
  description = "Service => its ECS service name."
  type        = map(string)
}

variable "queue_names" {
  type = map(string)
}

variable "dead_letter_queue_names" {
  type = map(string)
}

variable "emailer_function_name" {
  type = string
}

variable "errors_5xx_per_minute" {
  type    = number
  default = 5
}

variable "p99_latency_seconds" {
  type    = number
  default = 1
}
