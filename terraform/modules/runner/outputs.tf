output "namespace" {
  description = "Namespace of the runner CronJob, when enabled."
  value       = var.runner.enabled ? local.runner_ns : null
}
