# ElastiCache Redis: TLS in transit, encrypted at rest, one ACL user per
# service limited to its own key prefix (`<service>:*`), default user off.

resource "aws_elasticache_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
}

resource "aws_security_group" "this" {
  name        = "${var.name}-redis"
  description = "Redis: reachable only from the services"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "clients" {
  for_each                     = var.client_security_group_ids
  security_group_id            = aws_security_group.this.id
  description                  = "Redis from ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  referenced_security_group_id = each.value
}

resource "random_password" "user" {
  for_each = toset(concat(["default"], var.users))
  length   = 40
  special  = false
}

# ElastiCache requires a user named "default" in every user group; it can do nothing.
resource "aws_elasticache_user" "default" {
  user_id       = "${var.name}-default"
  user_name     = "default"
  engine        = "REDIS"
  access_string = "off -@all"

  authentication_mode {
    type      = "password"
    passwords = [random_password.user["default"].result]
  }
}

resource "aws_elasticache_user" "service" {
  for_each      = toset(var.users)
  user_id       = "${var.name}-${each.key}"
  user_name     = each.key
  engine        = "REDIS"
  access_string = "on ~${each.key}:* +@all -@dangerous"

  authentication_mode {
    type      = "password"
    passwords = [random_password.user[each.key].result]
  }
}

resource "aws_elasticache_user_group" "this" {
  user_group_id = var.name
  engine        = "REDIS"
  user_ids      = concat([aws_elasticache_user.default.user_id], [for u in aws_elasticache_user.service : u.user_id])
}

resource "aws_elasticache_replication_group" "this" {
  #checkov:skip=CKV2_AWS_50:Multi-AZ failover is per environment (num_cache_clusters): prod runs two nodes, dev one.
  replication_group_id       = var.name
  description                = "${var.name} cache, rate limits and flash-sale gate"
  engine                     = "redis"
  engine_version             = var.engine_version
  node_type                  = var.node_type
  num_cache_clusters         = var.num_cache_clusters
  automatic_failover_enabled = var.num_cache_clusters > 1
  multi_az_enabled           = var.num_cache_clusters > 1
  port                       = 6379
  subnet_group_name          = aws_elasticache_subnet_group.this.name
  security_group_ids         = [aws_security_group.this.id]
  at_rest_encryption_enabled = true
  kms_key_id                 = var.kms_key_arn
  transit_encryption_enabled = true
  user_group_ids             = [aws_elasticache_user_group.this.user_group_id]
  auto_minor_version_upgrade = true
  # No snapshots: Redis holds only caches, rate-limit windows and the
  # flash-sale gate, all rebuilt from Postgres (docs/architecture.md,
  # "Flash sales"); a restored snapshot would bring back a stale gate.
  snapshot_retention_limit = 0
  maintenance_window       = "sun:05:30-sun:06:30"
  apply_immediately        = false
}

locals {
  host = aws_elasticache_replication_group.this.primary_endpoint_address
  urls = {
    for u in var.users :
    u => "rediss://${u}:${random_password.user[u].result}@${local.host}:6379"
  }
}
