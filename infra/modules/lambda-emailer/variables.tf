variable "name" {
  description = "Function name, e.g. storefront-dev-campaign-emailer."
  type        = string
}

variable "image" {
  description = "The campaign-service image URI with tag the function is created with; later releases come from the campaign pipeline."
  type        = string
}

variable "command" {
  description = "The Lambda binary inside the image."
  type        = list(string)
  default     = ["campaign-emailer-lambda"]
}

variable "cpu_architecture" {
  type    = string
  default = "X86_64"
}

variable "memory_mb" {
  type    = number
  default = 256
}

variable "timeout_seconds" {
  description = "Upper bound; the queue's visibility timeout caps it."
  type        = number
  default     = 30
}

variable "queue_arn" {
  type = string
}

variable "queue_visibility_timeout_seconds" {
  type = number
}

variable "batch_size" {
  type    = number
  default = 10
}

variable "maximum_concurrency" {
  description = "Concurrent invocations the queue may drive (2 to 1000); keeps the database pool bounded."
  type        = number
  default     = 5
}

variable "environment" {
  type    = map(string)
  default = {}
}

variable "secret_environment" {
  description = "DATABASE_URL, UNSUBSCRIBE_SECRET...: Lambda reads no Secrets Manager references, so these go in its KMS-encrypted environment."
  type        = map(string)
  sensitive   = true
}

variable "ses_identity_arn" {
  type = string
}

variable "ses_configuration_set_arn" {
  type = string
}

variable "vpc_id" {
  type = string
}

variable "vpc_cidr_block" {
  type = string
}

variable "subnet_ids" {
  type = list(string)
}

variable "kms_key_arn" {
  type = string
}

variable "log_retention_days" {
  type    = number
  default = 365
}
