output "urls" {
  description = "User => REDIS_URL (TLS, own ACL user)."
  value       = local.urls
  sensitive   = true
}

output "security_group_id" {
  value = aws_security_group.this.id
}

output "primary_endpoint" {
  value = local.host
}
