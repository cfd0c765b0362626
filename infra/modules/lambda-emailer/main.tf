# The campaign emailer: the campaign-service image's Lambda binary, fed by
# the campaign queue. It reports partial batch failures, so one bad message
# is retried alone and, after max_receive_count tries, lands in the DLQ.
# It is the only consumer of that queue in AWS.

data "aws_partition" "current" {}

locals {
  # A message must not become visible again while its invocation still runs.
  timeout = min(var.timeout_seconds, var.queue_visibility_timeout_seconds)
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:Invoked synchronously by the SQS event source; failed messages go to the queue's own dead-letter queue.
  #checkov:skip=CKV_AWS_115:Concurrency is capped by the event source's maximum_concurrency; reserving it fails on new accounts whose quota is 10.
  #checkov:skip=CKV_AWS_272:Code signing applies to zip packages only; this is an immutable-tagged, scanned ECR image.
  function_name = var.name
  role          = aws_iam_role.this.arn
  package_type  = "Image"
  image_uri     = var.image
  architectures = [lower(var.cpu_architecture) == "arm64" ? "arm64" : "x86_64"]
  memory_size   = var.memory_mb
  timeout       = local.timeout
  kms_key_arn   = var.kms_key_arn

  image_config {
    command = var.command
  }

  environment {
    variables = merge(var.environment, var.secret_environment)
  }

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = [aws_security_group.this.id]
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  lifecycle {
    # Terraform sets the first image; the campaign pipeline deploys each
    # release (update-function-code), so an apply must not roll it back.
    # Settings (environment) stay Terraform's and apply at once.
    ignore_changes = [image_uri]
  }
}

resource "aws_lambda_event_source_mapping" "queue" {
  event_source_arn                   = var.queue_arn
  function_name                      = aws_lambda_function.this.arn
  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = 5
  function_response_types            = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.maximum_concurrency
  }
}

resource "aws_security_group" "this" {
  name        = var.name
  description = "Campaign emailer Lambda"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS: SES, SQS and the other AWS APIs"
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
