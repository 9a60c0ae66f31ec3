# Alarms, on by default: failures of the scheduled runs must not be silent. They go to an SNS
# topic created here with an email subscription to the security contact (alarm_email, else
# owners.securityContact in imagewarden_config), or to alarm_topic_arn when one is given.
# AWS mails a confirmation link to the address first; alarms reach it once it is confirmed.

locals {
  create_alarm_topic = var.alarm_topic_arn == null
  alarm_email        = coalesce(var.alarm_email, try(var.imagewarden_config.owners.securityContact, null), "none")
  alarm_topic_arn    = local.create_alarm_topic ? aws_sns_topic.alarms[0].arn : var.alarm_topic_arn
  alarm_actions      = [local.alarm_topic_arn]
  # The custom metrics the handlers write as CloudWatch Embedded Metric Format log lines
  # (core/metrics/emf.ts): namespace and the dimension naming the function.
  metrics_namespace = "imagewarden"
}

resource "aws_sns_topic" "alarms" {
  count             = local.create_alarm_topic ? 1 : 0
  name              = "${var.name}-alarms"
  kms_master_key_id = var.kms_key_arn
  tags              = local.tags

  lifecycle {
    precondition {
      condition     = local.alarm_email != "none"
      error_message = "Alarms need someone to tell: set alarm_email, owners.securityContact in imagewarden_config, or alarm_topic_arn."
    }
  }
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count     = local.create_alarm_topic ? 1 : 0
  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "email"
  endpoint  = local.alarm_email
}

# A failed run (Elasticsearch down, nothing enqueued, a crash) is retried by Lambda; tell
# someone when it keeps failing.
resource "aws_cloudwatch_metric_alarm" "function_errors" {
  for_each            = local.functions
  alarm_name          = "${var.name}-${each.key}-errors"
  alarm_description   = "imagewarden ${each.key} invocations failed; see log group /aws/lambda/${var.name}-${each.key}."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = "${var.name}-${each.key}" }
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  tags                = local.tags
}

# Throttled invocations: a scheduled run or a scan batch that did not run at all (account
# concurrency used up, or a URL function at its reserved concurrency under a flood).
resource "aws_cloudwatch_metric_alarm" "function_throttles" {
  for_each            = local.functions
  alarm_name          = "${var.name}-${each.key}-throttles"
  alarm_description   = "imagewarden ${each.key} invocations were throttled; check the account's Lambda concurrency (and url_reserved_concurrency)."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = "${var.name}-${each.key}" }
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "scan_dlq" {
  alarm_name          = "${var.name}-scan-dead-letters"
  alarm_description   = "Digests failed to scan ${var.scan_max_receive_count} times; see the scan-worker logs, then redrive the DLQ."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.scan_dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  tags                = local.tags
}

# The heartbeat: the inventory writes RunSucceeded = 1 (EMF) after each successful run. No
# success in 3 hours, whatever the reason (schedule paused or deleted, every run failing,
# Elasticsearch unreachable), and someone hears of it. Missing data counts as breaching.
resource "aws_cloudwatch_metric_alarm" "inventory_heartbeat" {
  alarm_name          = "${var.name}-inventory-heartbeat"
  alarm_description   = "No successful imagewarden inventory in 3 hours; see log group /aws/lambda/${var.name}-inventory and the schedule ${var.name}-inventory."
  namespace           = local.metrics_namespace
  metric_name         = "RunSucceeded"
  dimensions          = { FunctionName = "${var.name}-inventory" }
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

# SES reputation (account-wide, what decides whether the account may keep sending): AWS
# reviews an account at a 5 % bounce rate or a 0.1 % complaint rate; warn below both.
resource "aws_cloudwatch_metric_alarm" "ses_reputation" {
  for_each = {
    bounce    = { metric = "Reputation.BounceRate", threshold = 0.04 }
    complaint = { metric = "Reputation.ComplaintRate", threshold = 0.0008 }
  }
  alarm_name          = "${var.name}-ses-${each.key}-rate"
  alarm_description   = "SES ${each.key} rate near the level where AWS reviews or pauses sending; check the owners' addresses (bounces) and what is mailed (complaints)."
  namespace           = "AWS/SES"
  metric_name         = each.value.metric
  statistic           = "Maximum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  tags                = local.tags
}
