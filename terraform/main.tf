# Names and settings shared by the files of this module. The five functions are the files in
# functions/handlers/ (bundled and zipped by `npm run package`, see lambda.tf):
#   inventory      schedule -> inventory + policy, pending Clair notifications -> one SQS
#                  message per in-use digest
#   scan-worker    SQS batch -> Clair index + vulnerability report per digest
#   notify         schedule -> one digest email per owner through SES
#   ack            function URL: one-click acknowledgement links from the emails
#   clair-webhook  function URL: Clair's notifier webhook (records new-vulnerability notices);
#                  deployed only with clair_url (and so the Clair PSK secret)

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  table_name   = coalesce(var.state_table_name, "${var.name}-state")
  ses_identity = coalesce(var.ses_identity, var.mail_from)
  # An identity with an @ is an address, otherwise a domain.
  ses_identity_is_domain = !strcontains(local.ses_identity, "@")

  # Functions started by EventBridge Scheduler or SQS, and functions behind a function URL.
  # Kept apart so the notify function can carry the ack function's URL without a cycle.
  worker_functions = {
    inventory = {
      memory  = var.lambda_memory_mb.inventory
      timeout = var.lambda_timeout_seconds.inventory
    }
    scan-worker = {
      memory  = var.lambda_memory_mb.scan_worker
      timeout = var.lambda_timeout_seconds.scan_worker
    }
    notify = {
      memory  = var.lambda_memory_mb.notify
      timeout = var.lambda_timeout_seconds.notify
    }
  }
  url_functions = {
    ack = {
      memory               = var.lambda_memory_mb.ack
      timeout              = var.lambda_timeout_seconds.ack
      reserved_concurrency = var.url_reserved_concurrency.ack
    }
    clair-webhook = {
      memory               = var.lambda_memory_mb.clair_webhook
      timeout              = var.lambda_timeout_seconds.clair_webhook
      reserved_concurrency = var.url_reserved_concurrency.clair_webhook
    }
  }
  # The Clair webhook exists only when Clair is configured: its PSK is what authenticates Clair.
  clair_enabled          = var.clair_url != null
  deployed_url_functions = { for name, fn in local.url_functions : name => fn if name != "clair-webhook" || local.clair_enabled }
  functions              = merge(local.worker_functions, local.deployed_url_functions)

  # The config given to every function; the IMAGEWARDEN_<SECTION>__<KEY> variables override it.
  config_json = jsonencode(var.imagewarden_config)

  # IMAGEWARDEN_<SECTION>__<KEY> variables (core/config/load.ts), the same for every function.
  common_environment = merge(
    {
      # The config file's keys, inline (the zips are built once per release, without a config).
      IMAGEWARDEN_CONFIG_JSON = local.config_json
      IMAGEWARDEN_LOG__LEVEL                     = var.log_level
      IMAGEWARDEN_STATE__BACKEND                 = "dynamodb"
      IMAGEWARDEN_STATE__TABLE                   = aws_dynamodb_table.state.name
      IMAGEWARDEN_NOTIFY__TRANSPORT              = "ses"
      IMAGEWARDEN_NOTIFY__FROM                   = var.mail_from
      IMAGEWARDEN_NOTIFY__SEND_RATE              = tostring(var.ses_send_rate)
      IMAGEWARDEN_NOTIFY__SES__CONFIGURATION_SET = aws_sesv2_configuration_set.this.configuration_set_name
      IMAGEWARDEN_NOTIFY__ACK__HMAC_KEY          = aws_secretsmanager_secret.this["ack-hmac-key"].arn
    },
    var.elasticsearch_url == null ? {} : {
      IMAGEWARDEN_INVENTORY__SOURCE             = "elasticsearch"
      IMAGEWARDEN_INVENTORY__ELASTICSEARCH__NODE = var.elasticsearch_url
    },
    var.secrets.elasticsearch_api_key ? {
      IMAGEWARDEN_INVENTORY__ELASTICSEARCH__API_KEY = aws_secretsmanager_secret.this["elasticsearch-api-key"].arn
    } : {},
    var.secrets.nivlheim_api_key ? {
      IMAGEWARDEN_OWNERS__NIVLHEIM__API_KEY = aws_secretsmanager_secret.this["nivlheim-api-key"].arn
    } : {},
    var.clair_url == null ? {} : {
      IMAGEWARDEN_SCAN__CLAIR__URL = var.clair_url
      IMAGEWARDEN_SCAN__CLAIR__PSK = aws_secretsmanager_secret.this["clair-psk"].arn
    },
  )

  tags = merge({ "app.kubernetes.io/part-of" = "imagewarden", Application = var.name }, var.tags)
}
