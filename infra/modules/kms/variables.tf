variable "name" {
  description = "Alias name (without alias/), e.g. storefront-dev."
  type        = string
}

variable "deletion_window_in_days" {
  description = "Waiting period before a scheduled key deletion."
  type        = number
  default     = 30
}
