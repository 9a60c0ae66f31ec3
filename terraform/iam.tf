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

  # The StateStore's calls (core/state/DynamoStateStore.ts): reads are GetItem and Query (list
  # by prefix); writes are PutItem (also the conditional putIfAbsent) and DeleteItem.
  state_read_actions  = ["dynamodb:GetItem", "dynamodb:Query"]
  state_write_actions = ["dynamodb:PutItem", "dynamodb:DeleteItem"]
  # The internet-facing functions never delete: they write small records (never chunked, so a
  # put never drops old chunk items either). The handler tests refuse their deletes too.
  state_no_delete   = ["ack", "clair-webhook"]
  state_put_actions = ["dynamodb:PutItem"]

  # The state partitions (StateStore collections: the table's partition key) each function
  # reads and writes, enforced with dynamodb:LeadingKeys: the internet-facing ack function, for
  # one, can write acknowledgements and nothing else. A value too large for one item also uses
  # the partition "<collection>#chunks". The handler tests run every handler against these
  # grants (tests/unit/functions/handlers/state-grants.ts), so a missing one fails there.
  function_state = {
    inventory = {
      read  = ["inventory", "policy-findings", "clair-webhook-pending", "renotify", "scan-results", "vuln-findings"]
      write = ["inventory", "policy-findings", "clair-webhook-pending", "renotify", "clair-notifications", "vuln-findings"]
    }
    scan-worker = {
      # leases: one findings rebuild per repository at a time (conditional put/delete)
      read  = ["inventory", "scan-results", "renotify", "vuln-findings", "leases"]
      write = ["scan-results", "renotify", "vuln-findings", "leases"]
    }
    notify = {
      # leases: the run lease and the claim on each outbox message
      read  = ["acks", "outbox", "notified", "vuln-findings", "policy-findings", "selinux-findings", "leases"]
      write = ["outbox", "notified", "selinux-findings", "leases"]
    }
    ack = {
      # the findings are read to check that the acknowledging address was mailed about them
      read  = ["acks", "vuln-findings", "policy-findings", "selinux-findings"]
      write = ["acks"]
    }
    clair-webhook = {
      read  = []
      write = ["clair-notifications", "clair-webhook-pending"]
    }
  }
  state_leading_keys = {
    for name, grants in local.function_state : name => {
      for access, collections in grants : access => flatten([for c in collections : [c, "${c}#chunks"]])
    }
  }

  function_statements = {
    for name in keys(local.functions) : name => concat(
      [
        {
          sid       = "WriteOwnLogs"
          actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          resources = ["${aws_cloudwatch_log_group.function[name].arn}:*"]
        },
      ],
      length(local.function_state[name].read) == 0 ? [] : [
        {
          sid          = "ReadOwnState"
          actions      = local.state_read_actions
          resources    = [aws_dynamodb_table.state.arn]
          leading_keys = local.state_leading_keys[name].read
        },
      ],
      length(local.function_state[name].write) == 0 ? [] : [
        {
          sid          = "WriteOwnState"
          actions      = contains(local.state_no_delete, name) ? local.state_put_actions : local.state_write_actions
          resources    = [aws_dynamodb_table.state.arn]
          leading_keys = local.state_leading_keys[name].write
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
      !contains(["inventory", "scan-worker"], name) || length(var.ecr_repository_arns) == 0 ? [] : [
        {
          # AWS requires "*": an ECR authorization token is not issued for a resource. The
          # inventory resolves tags and the scan worker hands Clair the layer URLs, both with it.
          sid       = "EcrToken"
          actions   = ["ecr:GetAuthorizationToken"]
          resources = ["*"]
        },
        {
          sid       = "EcrReadImages"
          actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
          resources = var.ecr_repository_arns
        },
      ],
      name != "notify" ? [] : [
        {
          # What the SES transport calls (functions/notify/SesMailer.ts, tests/unit/terraform/
          # ses.test.ts): SESv2 SendEmail with the raw MIME message, which SES authorizes as
          # ses:SendEmail and ses:SendRawEmail. The sender is limited by ses:FromAddress rather
          # than by naming the sender identity: in the sandbox SES also authorizes against the
          # recipients' verified identities, which such a resource list refuses.
          sid          = "SendMail"
          actions      = ["ses:SendEmail", "ses:SendRawEmail"]
          resources    = ["arn:${local.partition}:ses:${local.region}:${local.account_id}:identity/*", aws_sesv2_configuration_set.this.arn]
          from_address = var.mail_from
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

      # State statements: only the function's own partitions (see local.function_state).
      dynamic "condition" {
        for_each = try(statement.value.leading_keys, null) == null ? [] : [statement.value.leading_keys]
        content {
          test     = "ForAllValues:StringEquals"
          variable = "dynamodb:LeadingKeys"
          values   = condition.value
        }
      }

      # Mail statement: only from the configured sender address.
      dynamic "condition" {
        for_each = try(statement.value.from_address, null) == null ? [] : [statement.value.from_address]
        content {
          test     = "StringEquals"
          variable = "ses:FromAddress"
          values   = [condition.value]
        }
      }
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
