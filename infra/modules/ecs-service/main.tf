# One microservice on Fargate: task definition, service behind its ALB
# target group and in Service Connect, security group, log group, IAM roles
# scoped to this service's own topic, queue, secrets and image, and
# autoscaling.
#
# Terraform owns the task definition (environment, secrets, sizes): the
# family is `<name_prefix>-<service>`, and the service pipeline registers
# each release as the family's latest revision with only the image swapped
# (docs/deploy.md, "Who owns the task definition").

data "aws_region" "current" {}

locals {
  name = "${var.name_prefix}-${var.service}"

  # Values Terraform generates (DATABASE_URL, REDIS_URL...) share one secret;
  # the others are set by an operator (docs/deploy.md). Names are not secret.
  generated_secret_keys = sort(nonsensitive(keys(var.generated_secrets)))

  container_secrets = concat(
    [for k in local.generated_secret_keys : { name = k, valueFrom = "${aws_secretsmanager_secret.generated.arn}:${k}::" }],
    [for k in sort(var.operator_secrets) : { name = k, valueFrom = aws_secretsmanager_secret.operator[k].arn }],
  )

  secret_arns = concat(
    [aws_secretsmanager_secret.generated.arn],
    [for s in aws_secretsmanager_secret.operator : s.arn],
  )
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/ecs/${var.name_prefix}/${var.service}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_ecs_task_definition" "this" {
  family                   = local.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  container_definitions = jsonencode([{
    name                   = var.service
    image                  = var.image
    essential              = true
    readonlyRootFilesystem = true
    # The service drains in-flight requests for up to 25 s after SIGTERM.
    stopTimeout = var.stop_timeout_seconds
    # Named for Service Connect (port_name below).
    portMappings = [{ name = var.service, containerPort = var.port, protocol = "tcp", appProtocol = "http" }]
    environment  = [for k in sort(keys(var.environment)) : { name = k, value = var.environment[k] }]
    secrets      = local.container_secrets
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = var.service
      }
    }
  }])
}

resource "aws_ecs_service" "this" {
  name                               = var.service
  cluster                            = var.cluster_arn
  task_definition                    = aws_ecs_task_definition.this.arn
  desired_count                      = var.min_count
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  health_check_grace_period_seconds  = var.health_check_grace_period_seconds
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  propagate_tags                     = "SERVICE"
  enable_execute_command             = false

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.this.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = var.target_group_arn
    container_name   = var.service
    container_port   = var.port
  }

  # Inside the VPC the other services reach this one as
  # http://<service>:<port>, through the Service Connect proxies, not the ALB.
  service_connect_configuration {
    enabled   = true
    namespace = var.service_connect_namespace_arn

    service {
      port_name      = var.service
      discovery_name = var.service

      client_alias {
        port     = var.port
        dns_name = var.service
      }
    }

    log_configuration {
      log_driver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = "service-connect"
      }
    }
  }

  lifecycle {
    # Autoscaling owns the count. The pipeline deploys each release as a new
    # revision of this family (Terraform's latest settings, the new image),
    # so an apply must not roll the running image back: a settings change
    # Terraform registers runs from the next pipeline deploy on.
    ignore_changes = [desired_count, task_definition]
  }
}

resource "aws_security_group" "this" {
  name        = local.name
  description = "${var.service}-service tasks"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "alb" {
  security_group_id            = aws_security_group.this.id
  description                  = "Service port from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.port
  to_port                      = var.port
  referenced_security_group_id = var.alb_security_group_id
}

# Service-to-service rules (Service Connect, from the manifest's `calls`) are
# made by modules/storefront, which knows every service's security group.
resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS: AWS APIs and the Service Connect control plane"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "backends" {
  for_each          = { postgres = 5432, redis = 6379 }
  security_group_id = aws_security_group.this.id
  description       = "To ${each.key} inside the VPC"
  ip_protocol       = "tcp"
  from_port         = each.value
  to_port           = each.value
  cidr_ipv4         = var.vpc_cidr_block
}

resource "aws_appautoscaling_target" "this" {
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${var.cluster_name}/${aws_ecs_service.this.name}"
  min_capacity       = var.min_count
  max_capacity       = var.max_count
}

resource "aws_appautoscaling_policy" "cpu" {
  name               = "${local.name}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension
  resource_id        = aws_appautoscaling_target.this.resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "requests" {
  name               = "${local.name}-requests"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension
  resource_id        = aws_appautoscaling_target.this.resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.requests_per_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = "${var.alb_arn_suffix}/${var.target_group_arn_suffix}"
    }
  }
}
