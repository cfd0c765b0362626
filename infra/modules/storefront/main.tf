# The whole platform for one environment. envs/dev and envs/prod call this
# module with their own sizes; everything else is the same.

data "aws_region" "current" {}

data "aws_route53_zone" "this" {
  name = var.hosted_zone_name
}

locals {
  name = "storefront-${var.environment}"

  # DESIGN.md, "Services, ports and public paths".
  services = {
    registration = { port = 8081, database = "registration", path_prefixes = ["/customers", "/auth", "/.well-known/jwks.json", "/docs/registration"] }
    campaign     = { port = 8082, database = "campaign", path_prefixes = ["/campaigns", "/promo-codes", "/emails", "/docs/campaign"] }
    catalog      = { port = 8083, database = "catalog", path_prefixes = ["/products", "/categories", "/docs/catalog"] }
    order        = { port = 8084, database = "orders", path_prefixes = ["/cart", "/orders", "/reports", "/docs/order"] }
    inventory    = { port = 8085, database = "inventory", path_prefixes = ["/inventory", "/reservations", "/flash-sales", "/docs/inventory"] }
  }

  # Values an operator puts into Secrets Manager (docs/deploy.md). Every
  # service but registration calls others with a client-credentials token.
  operator_secrets = {
    for s, _ in local.services : s => (
      s == "registration" ? ["JWT_SIGNING_KEYS", "SERVICE_CLIENTS", "ADMIN_PASSWORD"] : ["SERVICE_CLIENT_SECRET"]
    )
  }

  # In AWS the emailer Lambda is the campaign queue's only consumer.
  lambda_consumers = ["campaign"]

  base_url = module.alb.url
  sender   = "noreply@${var.mail_domain_name}"

  common_environment = {
    AWS_REGION         = data.aws_region.current.name
    RUST_LOG           = var.rust_log
    LOG_FORMAT         = "json"
    TRUSTED_PROXY_HOPS = "1"
    JWT_ISSUER         = local.base_url
    JWT_AUDIENCE       = var.jwt_audience
    JWKS_URL           = "${local.base_url}/.well-known/jwks.json"
    REGISTRATION_URL   = local.base_url
    CAMPAIGN_URL       = local.base_url
    CATALOG_URL        = local.base_url
    ORDER_URL          = local.base_url
    INVENTORY_URL      = local.base_url
    SHOP_CURRENCY      = var.shop_currency
  }

  # campaign-service's email settings (its config.rs). The identity's
  # default configuration set applies to every email sent from it.
  email_environment = {
    EMAIL_SENDER      = local.sender
    ADMIN_ALERT_EMAIL = var.admin_alert_email
    PUBLIC_BASE_URL   = local.base_url
  }

  # Generated values each service reads from its runtime secret.
  generated_secrets = {
    for s, _ in local.services : s => merge(
      { DATABASE_URL = module.rds.database_urls[s], REDIS_URL = module.redis.urls[s] },
      s == "campaign" ? { UNSUBSCRIBE_SECRET = random_password.unsubscribe.result } : {},
    )
  }

  service_environment = {
    for s, _ in local.services : s => merge(
      local.common_environment,
      { REDIS_KEY_PREFIX = s },
      s == "registration" ? { ADMIN_EMAIL = var.admin_email } : { SERVICE_CLIENT_ID = "${s}-service" },
      { for k, arn in module.messaging.topic_arns : "EVENTS_TOPIC_ARN" => arn if k == s },
      { for k, url in module.messaging.queue_urls : "EVENTS_QUEUE_URL" => url if k == s && !contains(local.lambda_consumers, k) },
      s == "campaign" ? merge(local.email_environment, { CONSUMER_ENABLED = "false" }) : {},
    )
  }
}

# Signs campaign-service's unsubscribe links (API and emailer alike).
resource "random_password" "unsubscribe" {
  length  = 48
  special = false
}

module "kms" {
  source = "../kms"
  name   = local.name
}

module "network" {
  source              = "../network"
  name                = local.name
  cidr_block          = var.vpc_cidr_block
  az_count            = var.az_count
  single_nat_gateway  = var.single_nat_gateway
  interface_endpoints = var.interface_endpoints
  kms_key_arn         = module.kms.key_arn
  log_retention_days  = var.log_retention_days
}

module "ecr" {
  source       = "../ecr"
  name_prefix  = local.name
  repositories = keys(local.services)
  kms_key_arn  = module.kms.key_arn
  force_delete = !var.deletion_protection
}

module "ecs_cluster" {
  source = "../ecs-cluster"
  name   = local.name
}

module "alb" {
  source              = "../alb"
  name                = local.name
  vpc_id              = module.network.vpc_id
  vpc_cidr_block      = module.network.vpc_cidr_block
  public_subnet_ids   = module.network.public_subnet_ids
  domain_name         = var.api_domain_name
  hosted_zone_id      = data.aws_route53_zone.this.zone_id
  services            = { for s, v in local.services : s => { port = v.port, path_prefixes = v.path_prefixes } }
  deletion_protection = var.deletion_protection
  kms_key_arn         = module.kms.key_arn
  log_retention_days  = var.log_retention_days
}

module "observability" {
  source                    = "../observability"
  name                      = local.name
  kms_key_arn               = module.kms.key_arn
  alarm_email               = var.alarm_email
  alb_arn_suffix            = module.alb.arn_suffix
  target_group_arn_suffixes = module.alb.target_group_arn_suffixes
  ecs_cluster_name          = module.ecs_cluster.name
  ecs_service_names         = { for s, m in module.service : s => m.service_name }
  queue_names               = module.messaging.queue_names
  dead_letter_queue_names   = module.messaging.dead_letter_queue_names
  emailer_function_name     = module.lambda_emailer.function_name
}

module "messaging" {
  source          = "../messaging"
  name_prefix     = var.environment
  kms_key_arn     = module.kms.key_arn
  alarm_topic_arn = module.observability.alarm_topic_arn
}

module "rds" {
  source     = "../rds"
  name       = local.name
  vpc_id     = module.network.vpc_id
  subnet_ids = module.network.private_subnet_ids
  databases  = { for s, v in local.services : s => v.database }
  client_security_group_ids = merge(
    { for s, m in module.service : s => m.security_group_id },
    { emailer = module.lambda_emailer.security_group_id },
  )
  instance_class      = var.db_instance_class
  multi_az            = var.db_multi_az
  deletion_protection = var.deletion_protection
  kms_key_arn         = module.kms.key_arn
  log_retention_days  = var.log_retention_days
}

module "redis" {
  source     = "../redis"
  name       = local.name
  vpc_id     = module.network.vpc_id
  subnet_ids = module.network.private_subnet_ids
  users      = keys(local.services)
  client_security_group_ids = merge(
    { for s, m in module.service : s => m.security_group_id },
    { emailer = module.lambda_emailer.security_group_id },
  )
  node_type          = var.redis_node_type
  num_cache_clusters = var.redis_nodes
  kms_key_arn        = module.kms.key_arn
}

module "ses" {
  source               = "../ses"
  name                 = local.name
  domain_name          = var.mail_domain_name
  hosted_zone_id       = data.aws_route53_zone.this.zone_id
  dmarc_report_address = var.admin_alert_email
}

# One module, five services.
module "service" {
  source   = "../ecs-service"
  for_each = local.services

  name_prefix             = local.name
  service                 = each.key
  port                    = each.value.port
  image                   = "${module.ecr.repository_urls[each.key]}:${var.image_tag}"
  ecr_repository_arn      = module.ecr.repository_arns[each.key]
  cpu                     = lookup(var.service_sizes, each.key, var.default_service_size).cpu
  memory                  = lookup(var.service_sizes, each.key, var.default_service_size).memory
  min_count               = lookup(var.service_sizes, each.key, var.default_service_size).min_count
  max_count               = lookup(var.service_sizes, each.key, var.default_service_size).max_count
  cluster_arn             = module.ecs_cluster.arn
  cluster_name            = module.ecs_cluster.name
  vpc_id                  = module.network.vpc_id
  vpc_cidr_block          = module.network.vpc_cidr_block
  subnet_ids              = module.network.private_subnet_ids
  alb_security_group_id   = module.alb.security_group_id
  alb_arn_suffix          = module.alb.arn_suffix
  target_group_arn        = module.alb.target_group_arns[each.key]
  target_group_arn_suffix = module.alb.target_group_arn_suffixes[each.key]
  environment             = local.service_environment[each.key]
  generated_secrets       = local.generated_secrets[each.key]
  operator_secrets        = local.operator_secrets[each.key]
  publish_topic_arns      = [for k, arn in module.messaging.topic_arns : arn if k == each.key]
  consume_queue_arns      = [for k, arn in module.messaging.queue_arns : arn if k == each.key && !contains(local.lambda_consumers, k)]
  kms_key_arn             = module.kms.key_arn
  log_retention_days      = var.log_retention_days
}

module "lambda_emailer" {
  source                           = "../lambda-emailer"
  name                             = "${local.name}-campaign-emailer"
  image                            = "${module.ecr.repository_urls["campaign"]}:${var.image_tag}"
  queue_arn                        = module.messaging.queue_arns["campaign"]
  queue_visibility_timeout_seconds = module.messaging.queue_visibility_timeouts["campaign"]
  # The campaign ECS service's settings, less what Lambda reserves (AWS_REGION)
  # or ignores, with a small pool: each concurrent invocation holds its own.
  environment = merge(
    { for k, v in local.service_environment["campaign"] : k => v if !contains(["AWS_REGION", "CONSUMER_ENABLED"], k) },
    { DATABASE_MAX_CONNECTIONS = "2" },
  )
  secret_environment        = local.generated_secrets["campaign"]
  ses_identity_arn          = module.ses.identity_arn
  ses_configuration_set_arn = module.ses.configuration_set_arn
  vpc_id                    = module.network.vpc_id
  vpc_cidr_block            = module.network.vpc_cidr_block
  subnet_ids                = module.network.private_subnet_ids
  kms_key_arn               = module.kms.key_arn
  log_retention_days        = var.log_retention_days
}

module "daily_report" {
  source                               = "../scheduler"
  name                                 = "${local.name}-daily-report"
  schedule_expression                  = var.daily_report_schedule
  timezone                             = var.daily_report_timezone
  cluster_arn                          = module.ecs_cluster.arn
  task_definition_arn_without_revision = module.service["order"].task_definition_arn_without_revision
  container_name                       = "order"
  command                              = ["order-service", "publish-daily-report"]
  pass_role_arns                       = [module.service["order"].execution_role_arn, module.service["order"].task_role_arn]
  subnet_ids                           = module.network.private_subnet_ids
  security_group_ids                   = [module.service["order"].security_group_id]
  kms_key_arn                          = module.kms.key_arn
}
