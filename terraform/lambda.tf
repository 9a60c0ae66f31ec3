# The five functions from a release package (`npm run package`: one zip per handler and a
# manifest with their SHA-256), a log group each with retention, and public function URLs for
# the two HTTP handlers (they verify HMAC-signed links and Clair's JWT themselves, so the URLs
# use authorization NONE). Nothing is zipped or hashed at plan time: the hashes come from the
# manifest, so a plan made on one machine applies on another, and the module works from a git
# or registry source with a published package.

# The manifest from S3 (package.s3_bucket), or from the local package directory otherwise. Each
# list holds at most one element, so the mode not used never reads anything.
data "aws_s3_object" "manifest" {
  count  = local.package_from_s3 ? 1 : 0
  bucket = var.package.s3_bucket
  key    = "${var.package.s3_prefix}manifest.json"
}

locals {
  package_from_s3 = var.package.s3_bucket != null
  package_dir     = coalesce(var.package.dir, "${path.module}/../dist/package")
  manifest = concat(
    [for object in data.aws_s3_object.manifest : jsondecode(object.body)],
    [for dir in(local.package_from_s3 ? [] : [local.package_dir]) : jsondecode(file("${dir}/manifest.json"))],
  )[0]
  package = {
    for name in keys(local.functions) : name => {
      # (a function missing from the manifest fails the resource's precondition, by name)
      filename  = local.package_from_s3 ? null : "${local.package_dir}/${try(local.manifest.functions[name].zip, "")}"
      s3_bucket = local.package_from_s3 ? var.package.s3_bucket : null
      s3_key    = local.package_from_s3 ? "${var.package.s3_prefix}${try(local.manifest.functions[name].zip, "")}" : null
      sha256    = try(local.manifest.functions[name].sha256, "")
    }
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
  filename         = local.package[each.key].filename
  s3_bucket        = local.package[each.key].s3_bucket
  s3_key           = local.package[each.key].s3_key
  source_code_hash = local.package[each.key].sha256
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
    # JSON: Lambda's own lines (START, END, REPORT, errors) become JSON carrying the request
    # id; the handlers' pino lines are JSON already, with requestId (lib/runtime.ts).
    log_format = "JSON"
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
    precondition {
      # Lambda allows 4 KB of environment variables in all; the config travels in one of them.
      condition     = length(local.config_json) <= 3072
      error_message = "imagewarden_config is over 3 KB as JSON: Lambda's environment (4 KB in all) cannot carry it. Keep long lists (approved registries, owners) short or in a pattern."
    }
    precondition {
      condition     = contains(keys(local.manifest.functions), each.key)
      error_message = "The package manifest (version ${local.manifest.version}) has no zip for ${each.key}: package it with npm run package from a matching release."
    }
  }

  depends_on = [aws_iam_role_policy.function]
  tags       = local.tags
}

resource "aws_lambda_function" "http" {
  for_each         = local.deployed_url_functions
  function_name    = "${var.name}-${each.key}"
  description      = "imagewarden ${each.key}"
  role             = aws_iam_role.function[each.key].arn
  runtime          = var.lambda_runtime
  architectures    = [var.lambda_architecture]
  handler          = "index.handler"
  filename         = local.package[each.key].filename
  s3_bucket        = local.package[each.key].s3_bucket
  s3_key           = local.package[each.key].s3_key
  source_code_hash = local.package[each.key].sha256
  memory_size      = each.value.memory
  timeout          = each.value.timeout

  # A flood of requests to a public URL is throttled here instead of taking the account's
  # concurrency from the scheduled functions.
  reserved_concurrent_executions = each.value.reserved_concurrency

  environment {
    variables = local.common_environment
  }

  logging_config {
    # JSON: Lambda's own lines (START, END, REPORT, errors) become JSON carrying the request
    # id; the handlers' pino lines are JSON already, with requestId (lib/runtime.ts).
    log_format = "JSON"
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
      condition     = contains(keys(local.manifest.functions), each.key)
      error_message = "The package manifest (version ${local.manifest.version}) has no zip for ${each.key}: package it with npm run package from a matching release."
    }
  }

  depends_on = [aws_iam_role_policy.function]
  tags       = local.tags
}

resource "aws_lambda_function_url" "ack" {
  function_name      = aws_lambda_function.http["ack"].function_name
  authorization_type = "NONE"
}

# Only with a Clair URL (and so its PSK secret): without the PSK the webhook could not tell
# Clair's notifications from anyone else's.
resource "aws_lambda_function_url" "clair_webhook" {
  count              = local.clair_enabled ? 1 : 0
  function_name      = aws_lambda_function.http["clair-webhook"].function_name
  authorization_type = "NONE"
}

# Public function URLs need both permissions since October 2025: InvokeFunctionUrl for
# auth type NONE, and InvokeFunction limited to calls that come through the URL.
resource "aws_lambda_permission" "url_public" {
  for_each               = local.deployed_url_functions
  statement_id           = "imagewarden-url-public"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = aws_lambda_function.http[each.key].function_name
  principal              = "*"
  function_url_auth_type = "NONE"
}

resource "aws_lambda_permission" "url_invoke" {
  for_each                 = local.deployed_url_functions
  statement_id             = "imagewarden-url-invoke"
  action                   = "lambda:InvokeFunction"
  function_name            = aws_lambda_function.http[each.key].function_name
  principal                = "*"
  invoked_via_function_url = true
}
