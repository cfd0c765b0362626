variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "hosted_zone_name" {
  description = "Existing Route 53 public zone, e.g. example.com."
  type        = string
}

variable "api_domain_name" {
  description = "e.g. api.dev.example.com"
  type        = string
}

variable "mail_domain_name" {
  description = "e.g. dev.example.com"
  type        = string
}

variable "image_tag" {
  description = "Tag of the images pushed before the first apply (a commit SHA)."
  type        = string
}

variable "admin_email" {
  type = string
}

variable "admin_alert_email" {
  type = string
}

variable "alarm_email" {
  type    = string
  default = ""
}
