output "alb_url" {
  value = module.alb.url
}

output "alb_dns_name" {
  value = module.alb.dns_name
}

output "swagger_urls" {
  value = { for s, v in local.services : s => "${module.alb.url}/docs/${s}/" if !v.default_route }
}

output "topic_arns" {
  value = module.messaging.topic_arns
}

output "queue_urls" {
  value = module.messaging.queue_urls
}

output "dead_letter_queue_urls" {
  value = module.messaging.dead_letter_queue_urls
}

output "ecr_repository_urls" {
  value = module.ecr.repository_urls
}

output "cluster_name" {
  description = "The repository (environment) variable ECS_CLUSTER; task definition families are <cluster>-<service>."
  value       = module.ecs_cluster.name
}

output "ecr_repository_prefix" {
  description = "The repository (environment) variable ECR_REPOSITORY_PREFIX: images go to <prefix>/<service>."
  value       = local.name
}

output "task_definition_families" {
  description = "Service => the family the pipeline deploys the latest revision of."
  value       = { for s, m in module.service : s => m.task_definition_family }
}

output "emailer_function_name" {
  description = "The campaign emailer Lambda, <cluster>-campaign-emailer, which the campaign pipeline updates."
  value       = module.lambda_emailer.function_name
}

output "internal_urls" {
  description = "Service => its Service Connect address inside the VPC."
  value       = local.internal_urls
}

output "operator_secret_names" {
  description = "Service => env var => secret name; put each value before the first deploy."
  value       = { for s, m in module.service : s => m.operator_secret_names }
}

output "db_init_command" {
  description = "Creates or updates each service's database role and database; idempotent."
  value = join(" ", [
    "aws ecs run-task --cluster ${module.ecs_cluster.name} --launch-type FARGATE",
    "--task-definition ${module.rds.db_init_task_definition_family}",
    "--network-configuration 'awsvpcConfiguration={subnets=[${join(",", module.network.private_subnet_ids)}],securityGroups=[${module.rds.db_init_security_group_id}],assignPublicIp=DISABLED}'",
  ])
}

output "dashboard_name" {
  value = module.observability.dashboard_name
}
