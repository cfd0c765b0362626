variable "name" {
  description = "Name prefix, e.g. storefront-dev."
  type        = string
}

variable "vpc_id" {
  type = string
}

variable "subnet_ids" {
  description = "Private subnets (at least two zones)."
  type        = list(string)
}

variable "client_security_group_ids" {
  description = "Security groups allowed to connect, by a static label (service name)."
  type        = map(string)
}

variable "databases" {
  description = "Service name => its database name. Each service logs in as <service>_service, owner of its database only."
  type        = map(string)
}

variable "engine_version" {
  description = "Major version; RDS picks the minor and auto_minor_version_upgrade keeps it current."
  type        = string
  default     = "16"
}

variable "instance_class" {
  type    = string
  default = "db.t4g.medium"
}

variable "allocated_storage" {
  type    = number
  default = 50
}

variable "max_allocated_storage" {
  description = "Storage autoscaling ceiling (GiB)."
  type        = number
  default     = 500
}

variable "multi_az" {
  type    = bool
  default = true
}

variable "backup_retention_days" {
  type    = number
  default = 14
}

variable "deletion_protection" {
  type    = bool
  default = true
}

variable "kms_key_arn" {
  type = string
}

variable "ca_bundle_path" {
  description = "Where the service images keep the RDS CA bundle (docker/Dockerfile fetches the global bundle at build time); the sslrootcert of every DATABASE_URL."
  type        = string
  default     = "/etc/ssl/certs/rds-global-bundle.pem"
}

variable "ca_bundle_url" {
  description = "The RDS global CA bundle, which the db-init task fetches before it connects (its image does not carry it)."
  type        = string
  default     = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
}

variable "db_init_image" {
  description = "An image with psql; the public ECR mirror of the official postgres image by default."
  type        = string
  default     = "public.ecr.aws/docker/library/postgres:16-alpine"
}

variable "log_retention_days" {
  type    = number
  default = 365
}
