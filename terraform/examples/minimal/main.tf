# The scheduled functions only: inventory from Elasticsearch every hour, scans with Clair,
# one digest email per owner on weekday mornings through SES.
terraform {
  required_version = ">= 1.11.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.66.0"
    }
  }
}

provider "aws" {
  region = var.region
}

variable "region" {
  type        = string
  default     = "eu-north-1"
  description = "AWS region to deploy to."
}

variable "mail_from" {
  type        = string
  description = "Sender address of the emails; verify it (or its domain) in SES."
}

variable "elasticsearch_url" {
  type        = string
  description = "Elasticsearch holding the hosts' container metadata."
}

variable "clair_url" {
  type        = string
  description = "Clair v4 base URL reachable from Lambda."
}

module "imagewarden" {
  source = "../.."

  mail_from         = var.mail_from
  elasticsearch_url = var.elasticsearch_url
  clair_url         = var.clair_url
  secrets = {
    elasticsearch_api_key = true
  }

  imagewarden_config = {
    policy = {
      approvedRegistries = ["harbor.example.org"]
      maxAgeDays         = 30
    }
    owners = {
      securityContact = "security@example.org"
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

output "secret_arns" {
  description = "Secrets to fill with `aws secretsmanager put-secret-value`."
  value       = module.imagewarden.secret_arns
}
