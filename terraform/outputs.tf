output "ack_url" {
  description = "Function URL of the acknowledgement handler (the links in the emails point here)."
  value       = aws_lambda_function_url.ack.function_url
}

output "clair_webhook_url" {
  description = "Function URL to set as Clair's notifier webhook target (notifier.webhook.target); null without clair_url."
  value       = one(aws_lambda_function_url.clair_webhook[*].function_url)
}

output "state_table_name" {
  description = "DynamoDB table holding imagewarden's state (state.table)."
  value       = aws_dynamodb_table.state.name
}

output "state_table_arn" {
  description = "ARN of the state table."
  value       = aws_dynamodb_table.state.arn
}

output "scan_queue_url" {
  description = "URL of the SQS queue of digests to scan."
  value       = aws_sqs_queue.scan.url
}

output "scan_dead_letter_queue_url" {
  description = "URL of the dead-letter queue of digests that failed to scan scan_max_receive_count times."
  value       = aws_sqs_queue.scan_dlq.url
}

output "function_names" {
  description = "Lambda function names by handler (for `aws lambda invoke` and the logs)."
  value = merge(
    { for name, fn in aws_lambda_function.worker : name => fn.function_name },
    { for name, fn in aws_lambda_function.http : name => fn.function_name },
  )
}

output "secret_arns" {
  description = "Secrets created without values, by name: set each with `aws secretsmanager put-secret-value`."
  value       = { for name, secret in aws_secretsmanager_secret.this : name => secret.arn }
}

output "ses_dkim_tokens" {
  description = "For a domain identity: publish <token>._domainkey.<domain> CNAME <token>.dkim.amazonses.com for each."
  value       = local.ses_identity_is_domain ? aws_sesv2_email_identity.sender.dkim_signing_attributes[0].tokens : []
}
