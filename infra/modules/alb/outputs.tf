output "url" {
  description = "Public base URL of the platform."
  value       = "https://${var.domain_name}"
}

output "dns_name" {
  value = aws_lb.this.dns_name
}

output "arn_suffix" {
  value = aws_lb.this.arn_suffix
}

output "security_group_id" {
  value = aws_security_group.alb.id
}

output "target_group_arns" {
  value = { for k, tg in aws_lb_target_group.service : k => tg.arn }
  # ECS refuses a target group no listener forwards to yet.
  depends_on = [aws_lb_listener_rule.path]
}

output "target_group_arn_suffixes" {
  value = { for k, tg in aws_lb_target_group.service : k => tg.arn_suffix }
}
