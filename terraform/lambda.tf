# The five functions: one zip per handler (the esbuild bundle plus the config file), a log
# group each with retention, and public function URLs for the two HTTP handlers (they verify
# HMAC-signed links and Clair's JWT themselves, so the URLs use authorization NONE).

data "archive_file" "function" {
  for_each    = local.functions
  type        = "zip"
  output_path = "${path.root}/.terraform/imagewarden/${each.key}.zip"

  source {
    content  = file("${local.dist_dir}/${each.key}/index.mjs")
    filename = "index.mjs"
  }

  source {
    content  = local.config_json
    filename = "imagewarden.json"
  }
}

resource "aws_cloudwatch_log_group" "function" {
  for_each          = local.functions
  name              = "/aws/lambda/${var.name}-${each.key}"
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

# Two resources with the same settings, not one: notify (a worker) carries the ack function's
# URL, which a single for_each resource could not reference without a cycle.
resource "aws_lambda_function" "worker" {
  for_each         = local.worker_functions
  function_name    = "${var.name}-${each.key}"
  description      = "imagewarden ${each.key}"
  role             = aws_iam_role.function[each.key].arn
  runtime          = var.lambda_runtime
  architectures    = [var.lambda_architecture]
  handler          = "index.handler"
  filename         = data.archive_file.function[each.key].output_path
  source_code_hash = data.archive_file.function[each.key].output_base64sha256
  memory_size      = each.value.memory
  timeout          = each.value.timeout

  environment {
    variables = merge(
      local.common_environment,
      each.key == "inventory" ? { SCAN_QUEUE_URL = aws_sqs_queue.scan.url } : {},
      # functions/handlers/lib/registryCredentials.ts writes it to /tmp on cold start
      contains(["inventory", "scan-worker"], each.key) && var.secrets.registry_docker_config ? {
        REGISTRY_DOCKER_CONFIG_SECRET = aws_secretsmanager_secret.this["registry-docker-config"].arn
      } : {},
      each.key == "notify" ? { IMAGEWARDEN_NOTIFY__ACK__BASE_URL = aws_lambda_function_url.ack.function_url } : {},
    )
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.function[each.key].name
  }

  tracing_config {
    mode = var.xray_tracing ? "Active" : "PassThrough"
  }

  dynamic "vpc_config" {
    for_each = var.vpc_config == null ? [] : [var.vpc_config]
    content {
      subnet_ids         = vpc_config.value.subnet_ids
      security_group_ids = vpc_config.value.security_group_ids
    }
  }

  lifecycle {
    precondition {
      condition     = var.elasticsearch_url != null || try(var.imagewarden_config.inventory.source, "") == "elasticsearch"
      error_message = "Set elasticsearch_url (or inventory.source = \"elasticsearch\" with inventory.elasticsearch in imagewarden_config): the inventory function has no fleet export file to read in Lambda."
    }
  }

  depends_on = [aws_iam_role_policy.function]
  tags       = local.tags
}

resource "aws_lambda_function" "http" {
  for_each         = local.url_functions
  function_name    = "${var.name}-${each.key}"
  description      = "imagewarden ${each.key}"
  role             = aws_iam_role.function[each.key].arn
  runtime          = var.lambda_runtime
  architectures    = [var.lambda_architecture]
  handler          = "index.handler"
  filename         = data.archive_file.function[each.key].output_path
  source_code_hash = data.archive_file.function[each.key].output_base64sha256
  memory_size      = each.value.memory
  timeout          = each.value.timeout

  environment {
    variables = local.common_environment
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.function[each.key].name
  }

  tracing_config {
    mode = var.xray_tracing ? "Active" : "PassThrough"
  }

  dynamic "vpc_config" {
    for_each = var.vpc_config == null ? [] : [var.vpc_config]
    content {
      subnet_ids         = vpc_config.value.subnet_ids
      security_group_ids = vpc_config.value.security_group_ids
    }
  }

  depends_on = [aws_iam_role_policy.function]
  tags       = local.tags
}

resource "aws_lambda_function_url" "ack" {
  function_name      = aws_lambda_function.http["ack"].function_name
  authorization_type = "NONE"
}

resource "aws_lambda_function_url" "clair_webhook" {
  function_name      = aws_lambda_function.http["clair-webhook"].function_name
  authorization_type = "NONE"
}

# Public function URLs need both permissions since October 2025: InvokeFunctionUrl for
# auth type NONE, and InvokeFunction limited to calls that come through the URL.
resource "aws_lambda_permission" "url_public" {
  for_each               = local.url_functions
  statement_id           = "imagewarden-url-public"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = aws_lambda_function.http[each.key].function_name
  principal              = "*"
  function_url_auth_type = "NONE"
}

resource "aws_lambda_permission" "url_invoke" {
  for_each                 = local.url_functions
  statement_id             = "imagewarden-url-invoke"
  action                   = "lambda:InvokeFunction"
  function_name            = aws_lambda_function.http[each.key].function_name
  principal                = "*"
  invoked_via_function_url = true
}

# A failed scheduled run (Elasticsearch down, nothing enqueued, a crash) is retried by Lambda;
# tell someone when it keeps failing.
resource "aws_cloudwatch_metric_alarm" "function_errors" {
  for_each            = { for name, fn in local.functions : name => fn if var.alarm_topic_arn != null }
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
  alarm_actions       = [var.alarm_topic_arn]
  tags                = local.tags
}
