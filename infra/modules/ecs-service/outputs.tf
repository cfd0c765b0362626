output "service_name" {
  value = aws_ecs_service.this.name
}

output "task_definition_family" {
  value = aws_ecs_task_definition.this.family
}

output "task_definition_arn_without_revision" {
  value = aws_ecs_task_definition.this.arn_without_revision
}

output "task_role_arn" {
  value = aws_iam_role.task.arn
}

output "execution_role_arn" {
  value = aws_iam_role.execution.arn
}

output "security_group_id" {
  value = aws_security_group.this.id
}

output "log_group_name" {
  value = aws_cloudwatch_log_group.this.name
}

output "operator_secret_names" {
  description = "Secrets an operator must fill before the first deploy."
  value       = { for k, s in aws_secretsmanager_secret.operator : k => s.name }
}
