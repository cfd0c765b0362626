output "alb_url" {
  value = module.storefront.alb_url
}

output "swagger_urls" {
  value = module.storefront.swagger_urls
}

output "topic_arns" {
  value = module.storefront.topic_arns
}

output "queue_urls" {
  value = module.storefront.queue_urls
}

output "ecr_repository_urls" {
  value = module.storefront.ecr_repository_urls
}

output "cluster_name" {
  value = module.storefront.cluster_name
}

output "ecr_repository_prefix" {
  value = module.storefront.ecr_repository_prefix
}

output "task_definition_families" {
  value = module.storefront.task_definition_families
}

output "emailer_function_name" {
  value = module.storefront.emailer_function_name
}

output "operator_secret_names" {
  value = module.storefront.operator_secret_names
}

output "db_init_command" {
  value = module.storefront.db_init_command
}
