# Least privilege: one role per function, each allowed only the actions it performs on the
# resources it touches. The only "*" resources are the ones AWS itself requires (X-Ray's
# PutTraceSegments/PutTelemetryRecords, and EC2's network-interface actions for functions in
# a VPC, which cannot be limited to a resource ARN); both are off unless asked for.

data "aws_iam_policy_document" "lambda_trust" {
  statement {
    sid     = "LambdaAssumeRole"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "function" {
  for_each           = local.functions
  name               = "${var.name}-${each.key}"
  description        = "imagewarden ${each.key} function"
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
  tags               = local.tags
}

locals {
  secret_arn = { for name, secret in aws_secretsmanager_secret.this : name => secret.arn }

  # Which secrets each function reads (resolved lazily, when the step needs the credential).
  function_secrets = {
    # inventory also pages through the Clair notifications the webhook recorded (Clair PSK).
    inventory     = compact([lookup(local.secret_arn, "elasticsearch-api-key", ""), lookup(local.secret_arn, "nivlheim-api-key", ""), lookup(local.secret_arn, "registry-docker-config", ""), lookup(local.secret_arn, "clair-psk", "")])
    scan-worker   = compact([lookup(local.secret_arn, "clair-psk", ""), lookup(local.secret_arn, "registry-docker-config", "")])
    # notify reads the runners' SELinux findings through the Elasticsearch connection.
    notify        = compact([local.secret_arn["ack-hmac-key"], lookup(local.secret_arn, "nivlheim-api-key", ""), lookup(local.secret_arn, "elasticsearch-api-key", "")])
    ack           = [local.secret_arn["ack-hmac-key"]]
    clair-webhook = compact([lookup(local.secret_arn, "clair-psk", "")])
  }

  # The StateStore's calls (core/state/DynamoStateStore.ts): GetItem, PutItem (also the
  # conditional putIfAbsent), DeleteItem, Query (list by prefix).
  state_actions = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"]

  function_statements = {
    for name in keys(local.functions) : name => concat(
      [
        {
          sid       = "WriteOwnLogs"
          actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          resources = ["${aws_cloudwatch_log_group.function[name].arn}:*"]
        },
        {
          sid       = "StateTable"
          actions   = local.state_actions
          resources = [aws_dynamodb_table.state.arn]
        },
      ],
      length(local.function_secrets[name]) == 0 ? [] : [
        {
          sid       = "ReadSecrets"
          actions   = ["secretsmanager:GetSecretValue"]
          resources = local.function_secrets[name]
        },
      ],
      name != "inventory" ? [] : [
        {
          sid       = "EnqueueScans"
          actions   = ["sqs:SendMessage"]
          resources = [aws_sqs_queue.scan.arn]
        },
      ],
      name != "scan-worker" ? [] : [
        {
          # What the SQS event source mapping does with the function's role.
          sid       = "ConsumeScans"
          actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
          resources = [aws_sqs_queue.scan.arn]
        },
      ],
      name != "notify" ? [] : [
        {
          sid       = "SendMail"
          actions   = ["ses:SendEmail"]
          resources = [aws_sesv2_email_identity.sender.arn, aws_sesv2_configuration_set.this.arn]
        },
      ],
      var.kms_key_arn == null ? [] : [
        {
          sid       = "UseCustomerKey"
          actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
          resources = [var.kms_key_arn]
        },
      ],
      !var.xray_tracing ? [] : [
        {
          # AWS requires "*": X-Ray trace segments have no resource ARN.
          sid       = "XRayTraces"
          actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
          resources = ["*"]
        },
      ],
      var.vpc_config == null ? [] : [
        {
          # AWS requires "*": Lambda creates and deletes the ENIs itself, with no ARN known in advance.
          sid       = "VpcNetworkInterfaces"
          actions   = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
          resources = ["*"]
        },
      ],
    )
  }
}

data "aws_iam_policy_document" "function" {
  for_each = local.functions

  dynamic "statement" {
    for_each = local.function_statements[each.key]
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }
}

resource "aws_iam_role_policy" "function" {
  for_each = local.functions
  name     = "${var.name}-${each.key}"
  role     = aws_iam_role.function[each.key].id
  policy   = data.aws_iam_policy_document.function[each.key].json
}

# EventBridge Scheduler's role: may invoke the two scheduled functions, nothing else.
data "aws_iam_policy_document" "scheduler_trust" {
  statement {
    sid     = "SchedulerAssumeRole"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${var.name}-scheduler"
  description        = "EventBridge Scheduler invoking the imagewarden inventory and notify functions"
  assume_role_policy = data.aws_iam_policy_document.scheduler_trust.json
  tags               = local.tags
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "InvokeScheduledFunctions"
    actions   = ["lambda:InvokeFunction"]
    resources = [for name in keys(local.schedules) : aws_lambda_function.worker[name].arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "${var.name}-scheduler"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}
