variable "name" {
  description = "Name prefix, e.g. storefront-dev (load balancer names allow 32 characters)."
  type        = string
}

variable "vpc_id" {
  type = string
}

variable "vpc_cidr_block" {
  description = "Where the service tasks live; the only egress the ALB needs."
  type        = string
}

variable "public_subnet_ids" {
  type = list(string)
}

variable "domain_name" {
  description = "Public name of the API, e.g. api.dev.example.com."
  type        = string
}

variable "hosted_zone_id" {
  description = "Route 53 zone holding domain_name (certificate validation and the alias record)."
  type        = string
}

variable "services" {
  description = "Per service: container port and the public path prefixes routed to it."
  type = map(object({
    port          = number
    path_prefixes = list(string)
  }))
}

variable "default_service" {
  description = "The service every path no rule matches goes to: the web shop."
  type        = string
}

variable "unrouted_paths" {
  description = "Paths (and everything below them) answered 404 ahead of every rule: each service's metrics and health (platform::manifest::UNROUTED_PATHS)."
  type        = list(string)
  default     = ["/metrics", "/health"]
}

variable "deregistration_delay_seconds" {
  description = "How long a stopping task keeps its in-flight requests (requests time out after 10 s)."
  type        = number
  default     = 15
}

variable "deletion_protection" {
  type    = bool
  default = true
}

variable "waf_rate_limit_per_5_minutes" {
  description = "Requests one client address may make in any 5 minutes before WAF blocks it."
  type        = number
  default     = 3000
}

variable "kms_key_arn" {
  description = "Key encrypting the WAF log group."
  type        = string
}

variable "log_retention_days" {
  type    = number
  default = 365
}
