# The whole platform for one environment. envs/dev and envs/prod call this
# module with their own sizes; everything else is the same.

data "aws_region" "current" {}

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

data "aws_route53_zone" "this" {
  name = var.hosted_zone_name
}

locals {
  name = "storefront-${var.environment}"

  # infra/services.yaml: the one list of services. Names, ports, public
  # paths, databases and the settings each service reads come from it, so the
  # ECR repositories, ECS services, containers, load balancer rules and
  # pipelines cannot drift apart.
  manifest = yamldecode(file("${path.module}/../../services.yaml"))

  services = {
    for s in local.manifest.services : s.name => {
      port          = s.port
      database      = try(s.database, null)
      path_prefixes = s.paths
      default_route = try(s.default_route, false)
      calls         = try(s.calls, [])
    }
  }

  # The load balancer's default action: the web shop (`default_route`).
  default_service = one([for s, v in local.services : s if v.default_route])

  # The common settings only a service with a database is given
  # (platform::manifest::DATABASE_SETTINGS).
  database_settings = ["DATABASE_URL", "DATABASE_MAX_CONNECTIONS", "DATABASE_ACQUIRE_TIMEOUT_SECS"]

  # In AWS the emailer Lambda is the only consumer of these services' queues
  # (`queue_consumer: lambda`).
  lambda_consumers = [for s in local.manifest.services : s.name if try(s.queue_consumer, "") == "lambda"]

  # The names each service is given, exactly as the manifest lists them:
  # plain values (`environment` and `aws`, common and the service's own),
  # values Terraform generates into the runtime secret (`secrets`), and
  # secrets an operator fills (`operator_secrets`).
  environment_names = {
    for s in local.manifest.services : s.name => distinct(concat(
      local.manifest.common.environment,
      try(local.manifest.common.aws, []),
      try(s.environment, []),
      try(s.aws, []),
    ))
  }
  secret_names = {
    for s in local.manifest.services : s.name => [
      for n in distinct(concat(local.manifest.common.secrets, try(s.secrets, []))) : n
      if try(s.database, null) != null || !contains(local.database_settings, n)
    ]
  }
  operator_secret_names = {
    for s in local.manifest.services : s.name => try(s.operator_secrets, [])
  }

  base_url = module.alb.url
  sender   = "noreply@${var.mail_domain_name}"

  # East-west addresses: ECS Service Connect names every service
  # `http://<name>:<port>` inside the VPC, so calls between services never
  # pass the public load balancer or its WAF.
  internal_urls = { for s, v in local.services : s => "http://${s}:${v.port}" }

  # Every value a service may be given in AWS, by variable name. A service
  # gets only the names the manifest lists for it (service_environment,
  # below): a listed name missing here fails the plan, and a value here that
  # no service lists is given to none.
  setting_values = {
    for s, v in local.services : s => {
      PORT               = tostring(v.port)
      REDIS_KEY_PREFIX   = s
      AWS_REGION         = data.aws_region.current.name
      JWT_ISSUER         = local.base_url
      JWT_AUDIENCE       = var.jwt_audience
      LOG_FORMAT         = "json"
      TRUSTED_PROXY_HOPS = "1"
      EVENTS_TOPIC_ARN   = lookup(module.messaging.topic_arns, s, null)
      EVENTS_QUEUE_URL   = lookup(module.messaging.queue_urls, s, null)
      JWKS_URL           = "${local.internal_urls["registration"]}/.well-known/jwks.json"
      REGISTRATION_URL   = local.internal_urls["registration"]
      CAMPAIGN_URL       = local.internal_urls["campaign"]
      CATALOG_URL        = local.internal_urls["catalog"]
      INVENTORY_URL      = local.internal_urls["inventory"]
      ORDER_URL          = local.internal_urls["order"]
      SERVICE_CLIENT_ID  = "${s}-service"
      SHOP_CURRENCY      = var.shop_currency
      ADMIN_EMAIL        = var.admin_email
      EMAIL_SENDER       = local.sender
      ADMIN_ALERT_EMAIL  = var.admin_alert_email
      PUBLIC_BASE_URL    = local.base_url
      CONSUMER_ENABLED   = contains(local.lambda_consumers, s) ? "false" : "true"
      # The ALB speaks HTTPS to browsers: Secure cookies and HSTS.
      SECURE_COOKIES = "true"
    }
  }

  # The values Terraform generates, by variable name; each service's runtime
  # secret holds only the ones its `secrets` list (common and its own).
  secret_values = {
    for s, _ in local.services : s => {
      DATABASE_URL       = lookup(module.rds.database_urls, s, null)
      REDIS_URL          = module.redis.urls[s]
      UNSUBSCRIBE_SECRET = random_password.unsubscribe.result
    }
  }

  # Library settings (the manifest's `common.runtime`) that Terraform sets.
  runtime_values = {
    RUST_LOG = var.rust_log
  }

  service_environment = {
    for s, _ in local.services : s => merge(
      { for n in local.environment_names[s] : n => local.setting_values[s][n] },
      { for n, v in local.runtime_values : n => v if contains(local.manifest.common.runtime, n) },
    )
  }

  generated_secrets = {
    for s, _ in local.services : s => { for n in local.secret_names[s] : n => local.secret_values[s][n] }
  }

  # Caller => callee, from each service's `calls`: the security groups let
  # exactly these through (Service Connect, the callee's port).
  service_calls = merge([
    for s in local.manifest.services : {
      for callee in try(s.calls, []) : "${s.name}-to-${callee}" => { caller = s.name, callee = callee }
    }
  ]...)
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
  default_service     = local.default_service
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
  databases  = { for s, v in local.services : s => v.database if v.database != null }
  client_security_group_ids = merge(
    { for s, m in module.service : s => m.security_group_id if local.services[s].database != null },
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

# One module, one instance per service of infra/services.yaml: ECS service
# and container `<name>`, task definition family `<env prefix>-<name>`.
module "service" {
  source   = "../ecs-service"
  for_each = local.services

  name_prefix                   = local.name
  service                       = each.key
  port                          = each.value.port
  image                         = "${module.ecr.repository_urls[each.key]}:${var.image_tag}"
  ecr_repository_arn            = module.ecr.repository_arns[each.key]
  cpu                           = lookup(var.service_sizes, each.key, var.default_service_size).cpu
  memory                        = lookup(var.service_sizes, each.key, var.default_service_size).memory
  min_count                     = lookup(var.service_sizes, each.key, var.default_service_size).min_count
  max_count                     = lookup(var.service_sizes, each.key, var.default_service_size).max_count
  cluster_arn                   = module.ecs_cluster.arn
  cluster_name                  = module.ecs_cluster.name
  service_connect_namespace_arn = module.ecs_cluster.service_connect_namespace_arn
  vpc_id                        = module.network.vpc_id
  vpc_cidr_block                = module.network.vpc_cidr_block
  subnet_ids                    = module.network.private_subnet_ids
  alb_security_group_id         = module.alb.security_group_id
  alb_arn_suffix                = module.alb.arn_suffix
  target_group_arn              = module.alb.target_group_arns[each.key]
  target_group_arn_suffix       = module.alb.target_group_arn_suffixes[each.key]
  environment                   = local.service_environment[each.key]
  generated_secrets             = local.generated_secrets[each.key]
  operator_secrets              = local.operator_secret_names[each.key]
  publish_topic_arns            = [for k, arn in module.messaging.topic_arns : arn if k == each.key]
  consume_queue_arns            = [for k, arn in module.messaging.queue_arns : arn if k == each.key && !contains(local.lambda_consumers, k)]
  kms_key_arn                   = module.kms.key_arn
  log_retention_days            = var.log_retention_days
}

# East-west traffic (Service Connect): each service accepts its port from the
# services that list it in `calls`, and those may reach it; nothing else.
resource "aws_vpc_security_group_ingress_rule" "service_calls" {
  for_each                     = local.service_calls
  security_group_id            = module.service[each.value.callee].security_group_id
  description                  = "${each.value.callee} port from ${each.value.caller} (Service Connect)"
  ip_protocol                  = "tcp"
  from_port                    = local.services[each.value.callee].port
  to_port                      = local.services[each.value.callee].port
  referenced_security_group_id = module.service[each.value.caller].security_group_id
}

resource "aws_vpc_security_group_egress_rule" "service_calls" {
  for_each                     = local.service_calls
  security_group_id            = module.service[each.value.caller].security_group_id
  description                  = "To ${each.value.callee} (Service Connect)"
  ip_protocol                  = "tcp"
  from_port                    = local.services[each.value.callee].port
  to_port                      = local.services[each.value.callee].port
  referenced_security_group_id = module.service[each.value.callee].security_group_id
}

# Lambda pulls its image with its own service principal: the repositories of
# the Lambda consumers let this environment's functions read them.
data "aws_iam_policy_document" "lambda_pull" {
  statement {
    sid     = "LambdaPullsOwnImage"
    actions = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
    condition {
      test     = "StringLike"
      variable = "aws:sourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:lambda:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:function:${local.name}-*"]
    }
  }
}

resource "aws_ecr_repository_policy" "lambda_pull" {
  for_each   = toset(local.lambda_consumers)
  repository = module.ecr.repository_names[each.key]
  policy     = data.aws_iam_policy_document.lambda_pull.json
}

# The pipeline (.github/workflows/service.yml) updates its image as
# `<ECS_CLUSTER>-campaign-emailer`; the cluster is named local.name.
module "lambda_emailer" {
  source                           = "../lambda-emailer"
  name                             = "${local.name}-campaign-emailer"
  image                            = "${module.ecr.repository_urls["campaign"]}:${var.image_tag}"
  queue_arn                        = module.messaging.queue_arns["campaign"]
  queue_visibility_timeout_seconds = module.messaging.queue_visibility_timeouts["campaign"]
  # The campaign ECS service's settings, less what Lambda reserves
  # (AWS_REGION) or the emailer ignores (CONSUMER_ENABLED, PORT), with a small
  # pool: each concurrent invocation holds its own. JWKS_URL is a Service
  # Connect name the Lambda cannot resolve; the emailer verifies no tokens.
  environment = merge(
    { for k, v in local.service_environment["campaign"] : k => v if !contains(["AWS_REGION", "CONSUMER_ENABLED", "PORT"], k) },
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
