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
  description = "The node runner on a Kubernetes cluster (a CronJob fanning out one Job per node); needs a configured kubernetes provider. enabled = false creates nothing. image is the runner image, set only here: the node Jobs run the fan-out pod's image at the digest it runs. schedule is a standard 5-field Kubernetes cron expression, read in the kube-controller-manager's time zone (the infra/base manifests use the same defaults)."

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
  description = "imagewarden config for the runner (keys of the YAML config file, chiefly `runner`), stored in the runner ConfigMap. The fan-out's namespace, service account and ConfigMap name are filled in from var.runner; the node Jobs' image is the fan-out pod's (runner.fanout.image overrides it)."
}

variable "aws_identity" {
  type = object({
    mode = optional(string, "pod_identity")
    # pod_identity: the EKS cluster the association is made in
    cluster_name = optional(string)
    # irsa: the cluster's IAM OIDC provider (arn:aws:iam::<account>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<id>)
    oidc_provider_arn    = optional(string)
    # the repositories the node Jobs may pull from (ECR repository ARNs, wildcards allowed)
    repository_arns      = optional(list(string), ["*"])
    role_name            = optional(string, "imagewarden-runner-node")
    permissions_boundary = optional(string)
  })
  default     = null
  description = "An IAM role for the node Jobs' ServiceAccount (imagewarden-node), allowed only what pulling from Amazon ECR takes: ecr:GetAuthorizationToken, and ecr:BatchGetImage and ecr:GetDownloadUrlForLayer on repository_arns (default all). null (default): none (the node's instance role, or pull secrets). mode pod_identity (the default mode; needs cluster_name and the EKS Pod Identity Agent add-on) or irsa (needs oidc_provider_arn; annotates the ServiceAccount). The role is made with the caller's aws provider."

  validation {
    condition     = var.aws_identity == null || contains(["pod_identity", "irsa"], try(var.aws_identity.mode, ""))
    error_message = "aws_identity.mode: pod_identity or irsa."
  }

  validation {
    condition     = var.aws_identity == null || try(var.aws_identity.mode, "") != "pod_identity" || try(length(var.aws_identity.cluster_name) > 0, false)
    error_message = "aws_identity.cluster_name: required with mode pod_identity (the EKS cluster to associate the role in)."
  }

  validation {
    condition     = var.aws_identity == null || try(var.aws_identity.mode, "") != "irsa" || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/.+", var.aws_identity.oidc_provider_arn))
    error_message = "aws_identity.oidc_provider_arn: required with mode irsa, the ARN of the cluster's IAM OIDC provider (arn:aws:iam::<account>:oidc-provider/<issuer host and path>)."
  }
}
