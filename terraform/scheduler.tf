# EventBridge Scheduler starts the inventory and notify functions; the scan worker is driven
# by the SQS queue. The scheduler invokes through its own role, limited to these two functions.

resource "aws_scheduler_schedule_group" "this" {
  name = var.name
  tags = local.tags
}

locals {
  schedules = {
    inventory = var.inventory_schedule
    notify    = var.notify_schedule
  }
}

resource "aws_scheduler_schedule" "this" {
  for_each                     = local.schedules
  name                         = "${var.name}-${each.key}"
  group_name                   = aws_scheduler_schedule_group.this.name
  description                  = "imagewarden ${each.key}"
  schedule_expression          = each.value
  schedule_expression_timezone = var.schedule_timezone
  state                        = var.schedules_enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_lambda_function.worker[each.key].arn
    role_arn = aws_iam_role.scheduler.arn
    # Scheduler replaces the placeholder with this firing's scheduled time, the same in its
    # retries: the notify function's run id (its emails' Message-IDs) comes from it.
    input = jsonencode({
      source        = "imagewarden.scheduler"
      job           = each.key
      scheduledTime = "<aws.scheduler.scheduled-time>"
    })

    retry_policy {
      # A missed run is retried within the hour; the next scheduled run catches up anyway.
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 2
    }
  }
}
