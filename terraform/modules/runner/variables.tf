# Inputs of the runner submodule: the CronJob's settings and the runner config file.

variable "runner" {
  type = object({
    enabled          = optional(bool, true)
    create_namespace = optional(bool, true)
    namespace        = optional(string, "imagewarden")
    image            = optional(string, "ghcr.io/imagewarden/runner:0.1.0")
    schedule         = optional(string, "*/15 * * * *")
  })
  default     = {}
  description = "The node runner on a Kubernetes cluster (a CronJob fanning out one Job per node); needs a configured kubernetes provider. enabled = false creates nothing. schedule is a standard 5-field Kubernetes cron expression, read in the kube-controller-manager's time zone (the infra/base manifests use the same defaults)."

  validation {
    condition     = length(split(" ", trimspace(var.runner.schedule))) == 5
    error_message = "runner.schedule: a 5-field cron expression (minute hour day-of-month month day-of-week)."
  }

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", var.runner.namespace))
    error_message = "runner.namespace: a Kubernetes namespace name."
  }
}

variable "runner_config" {
  type        = any
  default     = {}
  description = "imagewarden config for the runner (keys of the YAML config file, chiefly `runner`), stored in the runner ConfigMap. The fan-out's namespace, image, service account and ConfigMap name are filled in from var.runner."
}
