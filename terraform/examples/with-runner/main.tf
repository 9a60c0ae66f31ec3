# The scheduled functions plus the node runner on a Kubernetes cluster: a CronJob that
# starts one Job per node every 15 minutes to pre-pull and prune (and, where nodes enforce
# SELinux, check MCS labels: runner.selinux below).
terraform {
  required_version = ">= 1.11.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.66.0"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 2.38.0"
    }
  }
}

provider "aws" {
  region = var.region
}

provider "kubernetes" {
  config_path    = var.kubeconfig
  config_context = var.kube_context
}

variable "region" {
  type        = string
  default     = "eu-north-1"
  description = "AWS region to deploy to."
}

variable "kubeconfig" {
  type        = string
  default     = "~/.kube/config"
  description = "kubeconfig with rights to create namespaces, RBAC and CronJobs."
}

variable "kube_context" {
  type        = string
  default     = null
  description = "Context in the kubeconfig; null: its current context."
}

variable "mail_from" {
  type        = string
  description = "Sender address of the emails; verify it (or its domain) in SES."
}

variable "clair_url" {
  type        = string
  description = "Clair v4 base URL reachable from Lambda."
}

variable "elasticsearch_url" {
  type        = string
  description = "Elasticsearch holding the hosts' container metadata."
}

module "imagewarden" {
  source = "../.."

  mail_from         = var.mail_from
  clair_url         = var.clair_url
  elasticsearch_url = var.elasticsearch_url
  secrets = {
    elasticsearch_api_key = true
  }
  imagewarden_config = {
    policy = { approvedRegistries = ["harbor.example.org"] }
    # also where the alarms go (alarm_email defaults to it)
    owners = { securityContact = "security@example.org" }
  }
}

# The cluster part: a separate module, so the AWS module needs no kubernetes provider.
module "runner" {
  source = "../../modules/runner"

  runner = {
    image    = "ghcr.io/imagewarden/runner:0.1.0"
    schedule = "*/15 * * * *"
  }
  runner_config = {
    log = { level = "info" }
    runner = {
      # runtime "auto" (the default): each node's own runtime and socket, from the node's
      # containerRuntimeVersion (containerd on EKS, GKE, AKS; CRI-O on OpenShift; Docker).
      # Setting runner.socket would force one socket on every node.
      warm  = ["harbor.example.org/base/runtime:stable"]
      prune = { enabled = true }
      # MCS checks need nodes that enforce SELinux with namespace levels (OpenShift, RHEL/
      # Fedora nodes with container-selinux). EKS's AL2023 nodes run containerd without SELinux
      # labels, where every tenant namespace would be reported as having no level: off here.
      selinux = {
        enabled = false
        relabel = false
      }
      fanout = {
        maxConcurrentJobs = 10
        nodeSelector      = { "kubernetes.io/os" = "linux" }
      }
    }
  }
}

output "ack_url" {
  description = "Where the acknowledgement links point."
  value       = module.imagewarden.ack_url
}

output "clair_webhook_url" {
  description = "Set as Clair's notifier webhook target."
  value       = module.imagewarden.clair_webhook_url
}

output "runner_namespace" {
  description = "Namespace of the runner CronJob."
  value       = module.runner.namespace
}

output "secret_arns" {
  description = "Secrets to fill with `aws secretsmanager put-secret-value`."
  value       = module.imagewarden.secret_arns
}
