# The node Jobs' AWS identity, for Amazon ECR: each node pass asks GetAuthorizationToken for
# the ECR hosts no pull secret covers (runner/production-ports.ts, core/aws/ecrAuthorization.ts);
# the fan-out calls no AWS API, so only the imagewarden-node ServiceAccount gets a role. With
# that token the pass reads manifests (ecr:BatchGetImage) and the runtime downloads layers
# (ecr:GetDownloadUrlForLayer): ECR authorizes both against the token's identity, so the role
# holds exactly those three actions (AWS's AmazonEC2ContainerRegistryPullOnly, without
# BatchCheckLayerAvailability, which only pushes use). GetAuthorizationToken takes no
# resource; the two reads are limited to aws_identity.repository_arns. Off unless
# var.aws_identity is set.

locals {
  runner_aws          = var.runner.enabled && var.aws_identity != null
  runner_irsa         = local.runner_aws && try(var.aws_identity.mode, "") == "irsa"
  runner_pod_identity = local.runner_aws && try(var.aws_identity.mode, "") == "pod_identity"
  # The issuer (host and path) the OIDC provider ARN ends with: the prefix of the token claims.
  runner_oidc_issuer = local.runner_irsa ? element(split("oidc-provider/", var.aws_identity.oidc_provider_arn), 1) : ""
  runner_node_sa     = "system:serviceaccount:${local.runner_ns}:imagewarden-node"
}

data "aws_iam_policy_document" "runner_node_trust" {
  count = local.runner_aws ? 1 : 0

  # EKS Pod Identity: the agent assumes the role for the pods of the association below.
  dynamic "statement" {
    for_each = local.runner_pod_identity ? [1] : []
    content {
      actions = ["sts:AssumeRole", "sts:TagSession"]
      principals {
        type        = "Service"
        identifiers = ["pods.eks.amazonaws.com"]
      }
    }
  }

  # IRSA: only the imagewarden-node ServiceAccount's projected token, for STS.
  dynamic "statement" {
    for_each = local.runner_irsa ? [1] : []
    content {
      actions = ["sts:AssumeRoleWithWebIdentity"]
      principals {
        type        = "Federated"
        identifiers = [var.aws_identity.oidc_provider_arn]
      }
      condition {
        test     = "StringEquals"
        variable = "${local.runner_oidc_issuer}:sub"
        values   = [local.runner_node_sa]
      }
      condition {
        test     = "StringEquals"
        variable = "${local.runner_oidc_issuer}:aud"
        values   = ["sts.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role" "runner_node" {
  count                = local.runner_aws ? 1 : 0
  name                 = var.aws_identity.role_name
  description          = "imagewarden node runner (${local.runner_node_sa}): pulls from Amazon ECR"
  assume_role_policy   = data.aws_iam_policy_document.runner_node_trust[0].json
  permissions_boundary = var.aws_identity.permissions_boundary
}

data "aws_iam_policy_document" "runner_node_ecr" {
  count = local.runner_aws ? 1 : 0
  statement {
    sid       = "EcrAuthorizationToken"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid       = "EcrPull"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = var.aws_identity.repository_arns
  }
}

resource "aws_iam_role_policy" "runner_node_ecr" {
  count  = local.runner_aws ? 1 : 0
  name   = "ecr-pull"
  role   = aws_iam_role.runner_node[0].id
  policy = data.aws_iam_policy_document.runner_node_ecr[0].json
}

resource "aws_eks_pod_identity_association" "runner_node" {
  count           = local.runner_pod_identity ? 1 : 0
  cluster_name    = var.aws_identity.cluster_name
  namespace       = local.runner_ns
  service_account = kubernetes_service_account_v1.node[0].metadata[0].name
  role_arn        = aws_iam_role.runner_node[0].arn
}
