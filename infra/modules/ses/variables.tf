variable "name" {
  description = "Configuration set name, e.g. storefront-dev."
  type        = string
}

variable "domain_name" {
  description = "The sending domain (the sender address is noreply@ this domain)."
  type        = string
}

variable "hosted_zone_id" {
  type = string
}

variable "mail_from_subdomain" {
  type    = string
  default = "mail"
}

variable "create_dmarc_record" {
  description = "False when the domain already publishes a DMARC policy."
  type        = bool
  default     = true
}

variable "dmarc_report_address" {
  type = string
}
