output "namespace" {
  description = "Namespace of the runner CronJob, when enabled."
  value       = var.runner.enabled ? local.runner_ns : null
}

output "node_role_arn" {
  description = "ARN of the IAM role the node Jobs' ServiceAccount assumes for Amazon ECR (var.aws_identity), else null."
  value       = local.runner_aws ? aws_iam_role.runner_node[0].arn : null
}
