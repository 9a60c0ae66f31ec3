# The scan fan-out: the inventory function puts one message per in-use digest on the scan
# queue; the scan worker takes them in small batches with bounded concurrency and reports the
# digests that failed, which come back after the visibility timeout and, after
# scan_max_receive_count deliveries, move to the dead-letter queue.
resource "aws_sqs_queue" "scan_dlq" {
  name                      = "${var.name}-scan-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
  tags                      = local.tags
}

resource "aws_sqs_queue" "scan" {
  name = "${var.name}-scan"
  # AWS recommends at least 6x the function timeout for an SQS event source.
  visibility_timeout_seconds = min(43200, 6 * var.lambda_timeout_seconds.scan_worker)
  message_retention_seconds  = 345600
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.scan_dlq.arn
    maxReceiveCount     = var.scan_max_receive_count
  })
  tags = local.tags
}

resource "aws_sqs_queue_redrive_allow_policy" "scan_dlq" {
  queue_url = aws_sqs_queue.scan_dlq.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.scan.arn]
  })
}

resource "aws_lambda_event_source_mapping" "scan" {
  event_source_arn        = aws_sqs_queue.scan.arn
  function_name           = aws_lambda_function.worker["scan-worker"].arn
  batch_size              = var.scan_batch_size
  function_response_types = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.scan_max_concurrency
  }
}
