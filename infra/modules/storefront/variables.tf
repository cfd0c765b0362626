variable "environment" {
  description = "dev or prod: the topic/queue prefix and part of every name."
  type        = string
}

variable "hosted_zone_name" {
  description = "Route 53 public zone the names below live in, e.g. example.com."
  type        = string
}

variable "api_domain_name" {
  description = "Public name of the API (ALB), e.g. api.dev.example.com."
  type        = string
}

variable "mail_domain_name" {
  description = "Sending domain for SES, e.g. dev.example.com."
  type        = string
}

variable "image_tag" {
  description = "Image tag every service starts with (releases after that come from CI)."
  type        = string
}

variable "admin_email" {
  description = "Admin account ensured by registration-service (password: the ADMIN_PASSWORD secret)."
  type        = string
}

variable "admin_alert_email" {
  description = "Where low-stock alerts, daily reports and DMARC reports go."
  type        = string
}

variable "alarm_email" {
  description = "Subscribed to CloudWatch alarms; empty for none."
  type        = string
  default     = ""
}

variable "jwt_audience" {
  type    = string
  default = "storefront"
}

variable "shop_currency" {
  type    = string
  default = "USD"
}

variable "rust_log" {
  type    = string
  default = "info"
}

variable "vpc_cidr_block" {
  type    = string
  default = "10.40.0.0/16"
}

variable "az_count" {
  type    = number
  default = 2
}

variable "single_nat_gateway" {
  type    = bool
  default = false
}

variable "interface_endpoints" {
  type    = list(string)
  default = []
}

variable "db_instance_class" {
  type    = string
  default = "db.t4g.medium"
}

variable "db_multi_az" {
  type    = bool
  default = true
}

variable "redis_node_type" {
  type    = string
  default = "cache.t4g.small"
}

variable "redis_nodes" {
  type    = number
  default = 2
}

variable "deletion_protection" {
  description = "Protect the database, load balancer and images from destroy."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  type    = number
  default = 365
}

variable "default_service_size" {
  type = object({
    cpu       = number
    memory    = number
    min_count = number
    max_count = number
  })
  default = { cpu = 512, memory = 1024, min_count = 2, max_count = 10 }
}

variable "service_sizes" {
  description = "Per-service overrides of default_service_size."
  type = map(object({
    cpu       = number
    memory    = number
    min_count = number
    max_count = number
  }))
  default = {}
}

variable "daily_report_schedule" {
  type    = string
  default = "cron(15 0 * * ? *)"
}

variable "daily_report_timezone" {
  type    = string
  default = "UTC"
}
