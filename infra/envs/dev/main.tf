# dev: one NAT gateway, single-AZ database (the smallest class with
# Performance Insights), one Redis node, one task per service, no deletion
# protection.

module "storefront" {
  source = "../../modules/storefront"

  environment       = "dev"
  hosted_zone_name  = var.hosted_zone_name
  api_domain_name   = var.api_domain_name
  mail_domain_name  = var.mail_domain_name
  image_tag         = var.image_tag
  admin_email       = var.admin_email
  admin_alert_email = var.admin_alert_email
  alarm_email       = var.alarm_email

  vpc_cidr_block      = "10.40.0.0/16"
  az_count            = 2
  single_nat_gateway  = true
  db_instance_class   = "db.t4g.medium"
  db_multi_az         = false
  redis_node_type     = "cache.t4g.micro"
  redis_nodes         = 1
  deletion_protection = false
  rust_log            = "info,sqlx=warn"

  default_service_size = { cpu = 256, memory = 512, min_count = 1, max_count = 3 }
}
