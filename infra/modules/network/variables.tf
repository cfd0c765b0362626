variable "name" {
  description = "Name prefix for every resource, e.g. storefront-dev."
  type        = string
}

variable "cidr_block" {
  description = "VPC CIDR; public subnets take the first /20s, private ones from the middle."
  type        = string
  default     = "10.40.0.0/16"
}

variable "az_count" {
  description = "Availability zones to span (2 or 3)."
  type        = number
  default     = 2
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all zones (cheaper, not zone-redundant)."
  type        = bool
  default     = false
}

variable "interface_endpoints" {
  description = "AWS services to reach through interface endpoints instead of the NAT."
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  description = "Key encrypting the flow-log group."
  type        = string
}

variable "log_retention_days" {
  type    = number
  default = 365
}
