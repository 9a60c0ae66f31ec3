# Inputs of the imagewarden deployment. Only mail_from has no default; everything else runs
# as-is with the embedded defaults (hourly inventory, weekday-morning notify, 4 parallel scans).

variable "name" {
  type        = string
  default     = "imagewarden"
  description = "Prefix of every resource name (functions, table, queues, roles, secrets)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name: 3-32 characters, lowercase letters, digits and dashes, starting with a letter."
  }
}

variable "tags" {
  type        = map(string)
  default     = {}
  description = "Tags added to every AWS resource that takes tags."
}

variable "package" {
  type = object({
    dir       = optional(string)
    s3_bucket = optional(string)
    s3_prefix = optional(string, "")
  })
  default     = {}
  description = "Where the release package (`npm run package`: manifest.json and lambda/<function>-<version>.zip) is: a local directory (dir; null: ../dist/package relative to this module), or an S3 bucket and key prefix it was copied to (`aws s3 sync dist/package s3://BUCKET/PREFIX`). The zips' SHA-256 come from the manifest."

  validation {
    condition     = var.package.s3_bucket == null || var.package.dir == null
    error_message = "package: give dir or s3_bucket, not both."
  }

  validation {
    condition     = var.package.s3_prefix == "" || endswith(var.package.s3_prefix, "/")
    error_message = "package.s3_prefix: empty, or ending with / (e.g. releases/0.1.0/)."
  }
}

variable "lambda_runtime" {
  type        = string
  default     = "nodejs22.x"
  description = "Lambda runtime of every function (nodejs20.x is deprecated)."

  validation {
    condition     = contains(["nodejs22.x", "nodejs24.x"], var.lambda_runtime)
    error_message = "lambda_runtime: one of nodejs22.x, nodejs24.x."
  }
}

variable "lambda_architecture" {
  type        = string
  default     = "arm64"
  description = "Instruction set of the functions; the bundles are plain JavaScript, so arm64 (cheaper) works."

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture: arm64 or x86_64."
  }
}

variable "lambda_memory_mb" {
  type = object({
    inventory     = optional(number, 512)
    scan_worker   = optional(number, 512)
    notify        = optional(number, 512)
    ack           = optional(number, 256)
    clair_webhook = optional(number, 256)
  })
  default     = {}
  description = "Memory per function in MB (CPU scales with it). The inventory's memory stays bounded by the Elasticsearch page size."

  validation {
    condition     = alltrue([for v in values(var.lambda_memory_mb) : v >= 128 && v <= 10240])
    error_message = "lambda_memory_mb: every value between 128 and 10240."
  }
}

variable "lambda_timeout_seconds" {
  type = object({
    inventory     = optional(number, 300)
    scan_worker   = optional(number, 660)
    notify        = optional(number, 600)
    ack           = optional(number, 10)
    clair_webhook = optional(number, 60)
  })
  default     = {}
  description = "Timeout per function in seconds. scan_worker must exceed scan.clair.indexTimeout (10m by default); notify must fit the messages at the SES send rate (1/s in the sandbox)."

  validation {
    condition     = alltrue([for v in values(var.lambda_timeout_seconds) : v >= 3 && v <= 900])
    error_message = "lambda_timeout_seconds: every value between 3 and 900 (Lambda's limit)."
  }
}

variable "log_level" {
  type        = string
  default     = "info"
  description = "Log level of the functions (log.level)."

  validation {
    condition     = contains(["fatal", "error", "warn", "info", "debug", "trace", "silent"], var.log_level)
    error_message = "log_level: one of fatal, error, warn, info, debug, trace, silent."
  }
}

variable "log_retention_days" {
  type        = number
  default     = 30
  description = "How long CloudWatch keeps each function's logs."

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days: one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}

variable "inventory_schedule" {
  type        = string
  default     = "cron(10 * * * ? *)"
  description = "EventBridge Scheduler expression of the inventory + policy run, which then fans out the scans. Hosts ship metadata hourly, so hourly a few minutes past is enough. EventBridge cron has 6 fields, day-of-week 1-7 = SUN-SAT and `?` in one day field; crontab's `0 6 * * 1-5` is `cron(0 6 ? * 2-6 *)` here."

  validation {
    condition     = can(regex("^(cron\\([^)]+\\)|rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\))$", var.inventory_schedule))
    error_message = "inventory_schedule: cron(min hour dom month dow year) or rate(N unit)."
  }
}

variable "notify_schedule" {
  type        = string
  default     = "cron(0 7 ? * MON-FRI *)"
  description = "EventBridge Scheduler expression of the notify run (one digest email per owner)."

  validation {
    condition     = can(regex("^(cron\\([^)]+\\)|rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\))$", var.notify_schedule))
    error_message = "notify_schedule: cron(min hour dom month dow year) or rate(N unit)."
  }
}

variable "schedule_timezone" {
  type        = string
  default     = "UTC"
  description = "IANA time zone the schedules are read in, e.g. Europe/Oslo."
}

variable "schedules_enabled" {
  type        = bool
  default     = true
  description = "Set false to deploy with the schedules paused (nothing runs until set true again)."
}

variable "scan_max_concurrency" {
  type        = number
  default     = 4
  description = "Scan workers running at once (the SQS event source's maximum_concurrency): keeps Clair below its rate limit."

  validation {
    condition     = var.scan_max_concurrency >= 2 && var.scan_max_concurrency <= 1000
    error_message = "scan_max_concurrency: between 2 and 1000 (SQS event source limits)."
  }
}

variable "scan_batch_size" {
  type        = number
  default     = 5
  description = "Digests per scan-worker invocation; failed ones come back individually (ReportBatchItemFailures)."

  validation {
    condition     = var.scan_batch_size >= 1 && var.scan_batch_size <= 10
    error_message = "scan_batch_size: between 1 and 10."
  }
}

variable "scan_max_receive_count" {
  type        = number
  default     = 5
  description = "Deliveries of one scan message before it moves to the dead-letter queue."

  validation {
    condition     = var.scan_max_receive_count >= 1 && var.scan_max_receive_count <= 1000
    error_message = "scan_max_receive_count: between 1 and 1000."
  }
}

variable "state_table_name" {
  type        = string
  default     = null
  description = "Name of the DynamoDB state table. Null: <name>-state."

  validation {
    condition     = var.state_table_name == null || can(regex("^[A-Za-z0-9_.-]{3,255}$", var.state_table_name))
    error_message = "state_table_name: 3-255 characters of letters, digits, _ . -."
  }
}

variable "state_point_in_time_recovery" {
  type        = bool
  default     = true
  description = "Point-in-time recovery of the state table (acknowledgements and notified state live there)."
}

variable "state_deletion_protection" {
  type        = bool
  default     = true
  description = "Refuse to delete the state table (set false before `terraform destroy`)."
}

variable "kms_key_arn" {
  type        = string
  default     = null
  description = "Customer managed KMS key for the state table and the secrets. Null: AWS owned/managed keys (still encrypted at rest)."

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn: a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)."
  }
}

variable "mail_from" {
  type        = string
  description = "Sender address of the emails (notify.from). It, or its domain (ses_identity), must be verified in SES."

  validation {
    condition     = can(regex("^[^@\\s]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$", var.mail_from))
    error_message = "mail_from: an email address."
  }
}

variable "ses_identity" {
  type        = string
  default     = null
  description = "SES identity to create and send from: a domain (DKIM records to publish are output) or an address. Null: mail_from."

  validation {
    condition     = var.ses_identity == null || can(regex("^([^@\\s]+@)?[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$", var.ses_identity))
    error_message = "ses_identity: a domain such as example.org or an email address."
  }
}

variable "ses_send_rate" {
  type        = number
  default     = 1
  description = "Messages per second the notify function sends (notify.sendRate). The SES sandbox allows 1/s and 200/day; raise it only after production access."

  validation {
    condition     = var.ses_send_rate > 0 && var.ses_send_rate <= 1000
    error_message = "ses_send_rate: above 0 and at most 1000."
  }
}

variable "elasticsearch_url" {
  type        = string
  default     = null
  description = "Elasticsearch the hosts ship container metadata to (inventory.elasticsearch.node). Null: set inventory.* in imagewarden_config."

  validation {
    condition     = var.elasticsearch_url == null || can(regex("^https?://", var.elasticsearch_url))
    error_message = "elasticsearch_url: an http(s) URL."
  }
}

variable "clair_url" {
  type        = string
  default     = null
  description = "Clair v4 the scan worker talks to (scan.clair.url); it must reach the registries' blob URLs. Null: no scanning."

  validation {
    condition     = var.clair_url == null || can(regex("^https?://", var.clair_url))
    error_message = "clair_url: an http(s) URL."
  }
}

variable "secrets" {
  type = object({
    elasticsearch_api_key  = optional(bool, false)
    nivlheim_api_key       = optional(bool, false)
    registry_docker_config = optional(bool, false)
  })
  default     = {}
  description = "Optional secrets to create (values are set out of band). The ack HMAC key always exists; the Clair PSK exists when clair_url is set. Enabling nivlheim_api_key needs owners.nivlheim.url in imagewarden_config. registry_docker_config holds a Docker config.json (`auths`) for private registries, read by the inventory and scan-worker functions."
}

variable "secret_recovery_window_days" {
  type        = number
  default     = 7
  description = "Days a deleted secret can be restored (0 deletes at once)."

  validation {
    condition     = var.secret_recovery_window_days == 0 || (var.secret_recovery_window_days >= 7 && var.secret_recovery_window_days <= 30)
    error_message = "secret_recovery_window_days: 0, or between 7 and 30."
  }
}

variable "imagewarden_config" {
  type        = any
  default     = {}
  description = "imagewarden config (the keys of the YAML config file: policy, owners, scan filters, notify reminders, ...), given to every function as the IMAGEWARDEN_CONFIG_JSON variable (at most 3 KB as JSON: Lambda allows 4 KB of environment). What this module manages (state, notify transport/from/ack URL, secret ARNs, Clair and Elasticsearch URLs) is set through environment variables, which take precedence."
}

variable "alarm_topic_arn" {
  type        = string
  default     = null
  description = "SNS topic the alarms (function errors and throttles, scan dead letters, inventory heartbeat, SES bounce and complaint rates) go to. Null: a topic is created with an email subscription to alarm_email."

  validation {
    condition     = var.alarm_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:", var.alarm_topic_arn))
    error_message = "alarm_topic_arn: an SNS topic ARN."
  }
}

variable "xray_tracing" {
  type        = bool
  default     = false
  description = "Active X-Ray tracing of the functions."
}

variable "vpc_config" {
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default     = null
  description = "Run the functions in these subnets (to reach a private Clair or Elasticsearch). They then need a NAT gateway or VPC endpoints for DynamoDB, SQS, SES and Secrets Manager."
}

variable "ecr_repository_arns" {
  type        = list(string)
  default     = []
  description = "ECR repositories (ARNs, wildcards allowed, e.g. arn:aws:ecr:eu-north-1:123456789012:repository/*) whose images the inventory and scan-worker functions read with their own role: grants ecr:GetAuthorizationToken and the image and layer reads. Empty: no ECR access."

  validation {
    condition     = alltrue([for arn in var.ecr_repository_arns : can(regex("^arn:aws[a-z-]*:ecr:[a-z0-9-]+:[0-9]{12}:repository/.+$", arn))])
    error_message = "ecr_repository_arns: ECR repository ARNs (arn:aws:ecr:REGION:ACCOUNT:repository/NAME)."
  }
}

variable "url_reserved_concurrency" {
  type = object({
    ack           = optional(number, 5)
    clair_webhook = optional(number, 2)
  })
  default     = {}
  description = "Reserved concurrency of the two functions behind public function URLs: a flood of requests is throttled there and cannot take the account's concurrency from the scheduled functions (nor run up the bill)."

  validation {
    condition     = alltrue([for v in values(var.url_reserved_concurrency) : v >= 1 && v <= 100])
    error_message = "url_reserved_concurrency: every value between 1 and 100."
  }
}

variable "alarm_email" {
  type        = string
  default     = null
  description = "Address subscribed to the alarm topic this module creates (when alarm_topic_arn is null); AWS mails it a confirmation link first. Null: owners.securityContact from imagewarden_config."

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$", var.alarm_email))
    error_message = "alarm_email: an email address."
  }
}

variable "ack_hmac_key_version" {
  type        = number
  default     = 1
  description = "Version of the generated ack-link HMAC key: Terraform writes a new random key when it changes (links already mailed stop working; the next digest carries new ones)."
}
