output "address" {
  value = aws_db_instance.this.address
}

output "port" {
  value = aws_db_instance.this.port
}

output "database_urls" {
  description = "Service => its DATABASE_URL (own role, own database, TLS)."
  value       = local.database_urls
  sensitive   = true
}

output "master_secret_arn" {
  value = local.master_secret_arn
}

output "db_init_task_definition_family" {
  value = aws_ecs_task_definition.db_init.family
}

output "db_init_security_group_id" {
  value = aws_security_group.db_init.id
}
