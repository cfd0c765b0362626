variable "name" {
  type = string
}

variable "schedule_expression" {
  description = "e.g. cron(15 0 * * ? *): 00:15 every day, after the day closes."
  type        = string
}

variable "timezone" {
  type    = string
  default = "UTC"
}

variable "cluster_arn" {
  type = string
}

variable "task_definition_arn_without_revision" {
  type = string
}

variable "container_name" {
  type = string
}

variable "command" {
  type = list(string)
}

variable "pass_role_arns" {
  description = "The task's execution and task roles."
  type        = list(string)
}

variable "subnet_ids" {
  type = list(string)
}

variable "security_group_ids" {
  type = list(string)
}

variable "kms_key_arn" {
  type = string
}
