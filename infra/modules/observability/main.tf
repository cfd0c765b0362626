# Alarm topic, alarms (5xx, p99 latency, unhealthy hosts per service,
# emailer errors) and one dashboard. DLQ-depth alarms live with the queues
# in the messaging module and publish to the same topic.

data "aws_region" "current" {}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = var.kms_key_arn
}

resource "aws_sns_topic_subscription" "email" {
  count     = var.alarm_email == "" ? 0 : 1
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  alarm_actions = [aws_sns_topic.alarms.arn]
  services      = sort(keys(var.target_group_arn_suffixes))

  # Every alarm of this module, by name suffix: what differs from
  # `alarm_defaults`. Each becomes one aws_cloudwatch_metric_alarm below;
  # `percentile` (an extended statistic) replaces `statistic` when set.
  alarm_defaults = {
    namespace = "AWS/ApplicationELB", statistic = "Sum", percentile = null
    period    = 60, evaluations = 5, datapoints = 3
  }
  alb = { LoadBalancer = var.alb_arn_suffix }
  per_service = merge([
    for service, target_group in var.target_group_arn_suffixes : {
      "${service}-5xx" = {
        description = "${service}-service answered 5xx."
        metric      = "HTTPCode_Target_5XX_Count", threshold = var.errors_5xx_per_minute
        dimensions  = merge(local.alb, { TargetGroup = target_group })
      }
      "${service}-p99-latency" = {
        description = "p99 response time of ${service}-service above ${var.p99_latency_seconds} s."
        metric      = "TargetResponseTime", threshold = var.p99_latency_seconds
        dimensions  = merge(local.alb, { TargetGroup = target_group })
        statistic   = null, percentile = "p99"
      }
      "${service}-unhealthy-hosts" = {
        description = "A ${service}-service task fails /health/ready (Postgres or Redis unreachable?)."
        metric      = "UnHealthyHostCount", threshold = 0, statistic = "Maximum"
        dimensions  = merge(local.alb, { TargetGroup = target_group })
        evaluations = 3
      }
    }
  ]...)
  alarms = { for name, alarm in merge(local.per_service, {
    "alb-5xx" = {
      description = "The load balancer itself answered 5xx (no healthy target, timeouts)."
      metric      = "HTTPCode_ELB_5XX_Count", threshold = var.errors_5xx_per_minute
      dimensions  = local.alb
    }
    "campaign-emailer-errors" = {
      description = "The campaign emailer Lambda failed whole invocations."
      namespace   = "AWS/Lambda", metric = "Errors", threshold = 0
      dimensions  = { FunctionName = var.emailer_function_name }
      period      = 300, evaluations = 1, datapoints = 1
    }
  }) : name => merge(local.alarm_defaults, alarm) }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each            = local.alarms
  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  extended_statistic  = each.value.percentile
  period              = each.value.period
  evaluation_periods  = each.value.evaluations
  datapoints_to_alarm = each.value.datapoints
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name
  dashboard_body = jsonencode({
    widgets = [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title  = "Requests and 5xx"
          region = data.aws_region.current.name
          stat   = "Sum"
          period = 60
          metrics = [
            ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", var.alb_arn_suffix],
            ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", var.alb_arn_suffix],
            ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", var.alb_arn_suffix],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title  = "p99 latency by service"
          region = data.aws_region.current.name
          stat   = "p99"
          period = 60
          metrics = [
            for s in local.services :
            ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", var.alb_arn_suffix, "TargetGroup", var.target_group_arn_suffixes[s], { label = s }]
          ]
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title  = "CPU by service"
          region = data.aws_region.current.name
          stat   = "Average"
          period = 60
          metrics = [
            for s in local.services :
            ["AWS/ECS", "CPUUtilization", "ClusterName", var.ecs_cluster_name, "ServiceName", var.ecs_service_names[s], { label = s }]
          ]
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title  = "Running tasks by service"
          region = data.aws_region.current.name
          stat   = "Average"
          period = 60
          metrics = [
            for s in local.services :
            ["ECS/ContainerInsights", "RunningTaskCount", "ClusterName", var.ecs_cluster_name, "ServiceName", var.ecs_service_names[s], { label = s }]
          ]
        }
      },
      {
        type = "metric", x = 0, y = 12, width = 12, height = 6
        properties = {
          title  = "Queues: visible messages and oldest age"
          region = data.aws_region.current.name
          stat   = "Maximum"
          period = 60
          metrics = concat(
            [for k, q in var.queue_names : ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", q, { label = k }]],
            [for k, q in var.queue_names : ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", q, { label = "${k} age (s)", yAxis = "right" }]],
          )
        }
      },
      {
        type = "metric", x = 12, y = 12, width = 12, height = 6
        properties = {
          title  = "Dead-letter queues and emailer errors"
          region = data.aws_region.current.name
          stat   = "Maximum"
          period = 300
          metrics = concat(
            [for k, q in var.dead_letter_queue_names : ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", q, { label = "${k} DLQ" }]],
            [["AWS/Lambda", "Errors", "FunctionName", var.emailer_function_name, { stat = "Sum", label = "emailer errors" }]],
          )
        }
      },
    ]
  })
}
