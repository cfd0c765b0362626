variable "name_prefix" {
  description = "Repository name prefix, e.g. storefront-dev."
  type        = string
}

variable "repositories" {
  description = "One per service."
  type        = list(string)
}

variable "kms_key_arn" {
  type = string
}

variable "keep_images" {
  type    = number
  default = 30
}

variable "force_delete" {
  description = "Allow destroying repositories that still hold images (dev only)."
  type        = bool
  default     = false
}
