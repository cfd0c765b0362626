# prod: three zones with a NAT gateway each, Multi-AZ database and Redis,
# interface endpoints for the chatty AWS APIs, at least two tasks per
# service, deletion protection.

module "storefront" {
  source = "../../modules/storefront"

  environment       = "prod"
  hosted_zone_name  = var.hosted_zone_name
  api_domain_name   = var.api_domain_name
  mail_domain_name  = var.mail_domain_name
  image_tag         = var.image_tag
  admin_email       = var.admin_email
  admin_alert_email = var.admin_alert_email
  alarm_email       = var.alarm_email

  vpc_cidr_block      = "10.50.0.0/16"
  az_count            = 3
  single_nat_gateway  = false
  interface_endpoints = ["ecr.api", "ecr.dkr", "logs", "secretsmanager", "sns", "sqs"]
  db_instance_class   = "db.r6g.large"
  db_multi_az         = true
  redis_node_type     = "cache.r6g.large"
  redis_nodes         = 2
  deletion_protection = true

  default_service_size = { cpu = 512, memory = 1024, min_count = 2, max_count = 10 }
  service_sizes = {
    # Flash-sale claims and checkout take the burst.
    inventory = { cpu = 1024, memory = 2048, min_count = 3, max_count = 30 }
    order     = { cpu = 1024, memory = 2048, min_count = 3, max_count = 30 }
  }
}
