variable "name" {
  description = "Name prefix, e.g. storefront-dev."
  type        = string
}

variable "vpc_id" {
  type = string
}

variable "subnet_ids" {
  type = list(string)
}

variable "client_security_group_ids" {
  description = "Security groups allowed to connect, by a static label (service name)."
  type        = map(string)
}

variable "users" {
  description = "One ACL user per service; each may touch only keys starting with `<name>:` (its REDIS_KEY_PREFIX)."
  type        = list(string)
}

variable "engine_version" {
  type    = string
  default = "7.1"
}

variable "node_type" {
  type    = string
  default = "cache.t4g.small"
}

variable "num_cache_clusters" {
  description = "Primary plus replicas; 2 or more enables Multi-AZ failover."
  type        = number
  default     = 2
}

variable "kms_key_arn" {
  type = string
}
