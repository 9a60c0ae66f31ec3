# imagewarden's deployment: the scheduled functions in AWS (EventBridge Scheduler, Lambda,
# SQS, DynamoDB, SES, Secrets Manager). The node runner's CronJob on a Kubernetes cluster is
# the submodule modules/runner. Use them as modules (see examples/); neither configures a provider.
terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.29 added invoked_via_function_url, needed for public function URLs since Oct 2025.
      version = ">= 6.29.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.4.0"
    }
  }
}
