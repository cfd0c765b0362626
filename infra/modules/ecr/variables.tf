variable "name_prefix" {
  description = "Repository name prefix, e.g. storefront-dev."
  type        = string
}

variable "repositories" {
  description = "One per service: its name in infra/services.yaml."
  type        = list(string)
}

variable "kms_key_arn" {
  type = string
}

variable "force_delete" {
  description = "Allow destroying repositories that still hold images (dev only)."
  type        = bool
  default     = false
}
