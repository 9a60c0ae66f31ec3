# The node runner on a Kubernetes cluster, apart from the AWS module so that an AWS-only
# deployment needs no kubernetes provider. Configures no provider itself; the aws provider is
# used only by the optional IAM role of aws-iam.tf. The pin matches the
# schema terraform:check validates against (scripts/terraform/schemas/kubernetes.json).
terraform {
  required_version = ">= 1.5.0"

  required_providers {
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 2.38.0"
    }
    # only for var.aws_identity (the node Jobs' IAM role); the pin is terraform/versions.tf's
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.66.0"
    }
  }
}
