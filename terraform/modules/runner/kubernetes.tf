# The node runner on a Kubernetes cluster, the same objects as infra/base (kustomize): a
# CronJob whose pod (`imagewarden runner fanout`) starts one Job per eligible node, the two
# service accounts with least-privilege RBAC, and the runner ConfigMap. Enabled by
# var.runner.enabled; needs the kubernetes provider configured by the caller.

locals {
  runner_enabled = var.runner.enabled ? 1 : 0
  runner_ns      = var.runner.namespace
  runner_labels = {
    "app.kubernetes.io/name"       = "imagewarden"
    "app.kubernetes.io/part-of"    = "imagewarden"
    "app.kubernetes.io/managed-by" = "terraform"
  }
  # The fan-out builds every node Job from this file; what Terraform manages is filled in.
  # The image is not: the node Jobs run the fan-out pod's own image (var.runner.image, set once
  # on the CronJob below) at the digest it runs; runner_config's fanout.image still overrides.
  runner_config_user = try(var.runner_config.runner, {})
  runner_yaml = yamlencode(merge(var.runner_config, {
    runner = merge(local.runner_config_user, {
      fanout = merge(try(local.runner_config_user.fanout, {}), {
        namespace      = local.runner_ns
        serviceAccount = "imagewarden-node"
        configMap      = "imagewarden-runner"
        configKey      = "runner.yaml"
      })
    })
  }))
}

resource "kubernetes_namespace_v1" "runner" {
  count = var.runner.enabled && var.runner.create_namespace ? 1 : 0
  metadata {
    name = local.runner_ns
    labels = merge(local.runner_labels, {
      # Node Jobs mount hostPath volumes (runtime socket, image store), which the baseline
      # and restricted Pod Security levels forbid. Only imagewarden runs here.
      "pod-security.kubernetes.io/enforce" = "privileged"
      "pod-security.kubernetes.io/warn"    = "restricted"
    })
  }
}

resource "kubernetes_service_account_v1" "fanout" {
  count = local.runner_enabled
  metadata {
    name      = "imagewarden-fanout"
    namespace = local.runner_ns
    labels    = merge(local.runner_labels, { "app.kubernetes.io/component" = "fanout" })
  }
  depends_on = [kubernetes_namespace_v1.runner]
}

# The node Jobs call ECR (GetAuthorizationToken) themselves: with IRSA this annotation gives
# their pods the role's web identity (aws-iam.tf).
resource "kubernetes_service_account_v1" "node" {
  count = local.runner_enabled
  metadata {
    name        = "imagewarden-node"
    namespace   = local.runner_ns
    labels      = merge(local.runner_labels, { "app.kubernetes.io/component" = "node-runner" })
    annotations = local.runner_irsa ? { "eks.amazonaws.com/role-arn" = aws_iam_role.runner_node[0].arn } : {}
  }
  depends_on = [kubernetes_namespace_v1.runner]
}

# Fan-out: read nodes and every workload kind cluster-wide, once per tick, to compute each
# node's desired set (the pods list also gives each node Job the pods bound to its node, and
# the namespaces list their MCS levels, for its SELinux checks); create/list/delete node Jobs
# and create the ConfigMap and Secret that hand each Job its set, and get its own Pod (the node
# Jobs' image), only in its own namespace. The once-per-tick SELinux audit lists namespaces and
# records Events on the ones with findings.
resource "kubernetes_cluster_role_v1" "fanout" {
  count = local.runner_enabled
  metadata {
    name   = "imagewarden-fanout"
    labels = merge(local.runner_labels, { "app.kubernetes.io/component" = "fanout" })
  }
  rule {
    api_groups = [""]
    resources  = ["nodes", "namespaces", "pods"]
    verbs      = ["list"]
  }
  rule {
    api_groups = ["apps"]
    resources  = ["deployments", "replicasets", "statefulsets", "daemonsets"]
    verbs      = ["list"]
  }
  rule {
    api_groups = ["batch"]
    resources  = ["jobs", "cronjobs"]
    verbs      = ["list"]
  }
  rule {
    api_groups = [""]
    resources  = ["events"]
    verbs      = ["create"]
  }
}

resource "kubernetes_cluster_role_binding_v1" "fanout" {
  count = local.runner_enabled
  metadata {
    name   = "imagewarden-fanout"
    labels = merge(local.runner_labels, { "app.kubernetes.io/component" = "fanout" })
  }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = kubernetes_cluster_role_v1.fanout[0].metadata[0].name
  }
  subject {
    kind      = "ServiceAccount"
    name      = kubernetes_service_account_v1.fanout[0].metadata[0].name
    namespace = local.runner_ns
  }
}

resource "kubernetes_role_v1" "fanout" {
  count = local.runner_enabled
  metadata {
    name      = "imagewarden-fanout"
    namespace = local.runner_ns
    labels    = merge(local.runner_labels, { "app.kubernetes.io/component" = "fanout" })
  }
  rule {
    api_groups = ["batch"]
    resources  = ["jobs"]
    verbs      = ["create", "list", "delete"]
  }
  rule {
    api_groups = [""]
    resources  = ["configmaps", "secrets"]
    verbs      = ["create"]
  }
  # its own Pod, for the image the node Jobs run (a generated pod name: no resourceNames)
  rule {
    api_groups = [""]
    resources  = ["pods"]
    verbs      = ["get"]
  }
}

resource "kubernetes_role_binding_v1" "fanout" {
  count = local.runner_enabled
  metadata {
    name      = "imagewarden-fanout"
    namespace = local.runner_ns
    labels    = merge(local.runner_labels, { "app.kubernetes.io/component" = "fanout" })
  }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Role"
    name      = kubernetes_role_v1.fanout[0].metadata[0].name
  }
  subject {
    kind      = "ServiceAccount"
    name      = kubernetes_service_account_v1.fanout[0].metadata[0].name
    namespace = local.runner_ns
  }
}

# Fan-out, with runner.readPullSecrets (the default): get the pull secrets workloads and their
# service accounts name (get only, never list), to hand each node Job just what it needs.
# Not created when runner_config sets readPullSecrets: false.
resource "kubernetes_cluster_role_v1" "fanout_pull_secrets" {
  count = var.runner.enabled && try(local.runner_config_user.readPullSecrets, true) ? 1 : 0
  metadata {
    name   = "imagewarden-fanout-pull-secrets"
    labels = merge(local.runner_labels, { "app.kubernetes.io/component" = "fanout" })
  }
  rule {
    api_groups = [""]
    resources  = ["secrets", "serviceaccounts"]
    verbs      = ["get"]
  }
}

resource "kubernetes_cluster_role_binding_v1" "fanout_pull_secrets" {
  count = length(kubernetes_cluster_role_v1.fanout_pull_secrets)
  metadata {
    name   = "imagewarden-fanout-pull-secrets"
    labels = merge(local.runner_labels, { "app.kubernetes.io/component" = "fanout" })
  }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = kubernetes_cluster_role_v1.fanout_pull_secrets[0].metadata[0].name
  }
  subject {
    kind      = "ServiceAccount"
    name      = kubernetes_service_account_v1.fanout[0].metadata[0].name
    namespace = local.runner_ns
  }
}

# Node runner, handed its desired set and pull secrets by the fan-out, and for its SELinux
# checks the pods bound to its node and their namespaces' levels: no list at all, no Secret, no
# Node read; the pass records Events. Node passes run by hand need
# infra/overlays/read-pull-secrets (which adds the lists).
resource "kubernetes_cluster_role_v1" "node" {
  count = local.runner_enabled
  metadata {
    name   = "imagewarden-node"
    labels = merge(local.runner_labels, { "app.kubernetes.io/component" = "node-runner" })
  }
  rule {
    api_groups = [""]
    resources  = ["events"]
    verbs      = ["create"]
  }
}

resource "kubernetes_cluster_role_binding_v1" "node" {
  count = local.runner_enabled
  metadata {
    name   = "imagewarden-node"
    labels = merge(local.runner_labels, { "app.kubernetes.io/component" = "node-runner" })
  }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = kubernetes_cluster_role_v1.node[0].metadata[0].name
  }
  subject {
    kind      = "ServiceAccount"
    name      = kubernetes_service_account_v1.node[0].metadata[0].name
    namespace = local.runner_ns
  }
}

resource "kubernetes_config_map_v1" "runner" {
  count = local.runner_enabled
  metadata {
    name      = "imagewarden-runner"
    namespace = local.runner_ns
    labels    = merge(local.runner_labels, { "app.kubernetes.io/component" = "config" })
  }
  data = {
    "runner.yaml" = local.runner_yaml
  }
  depends_on = [kubernetes_namespace_v1.runner]
}

resource "kubernetes_cron_job_v1" "fanout" {
  count = local.runner_enabled
  metadata {
    name      = "imagewarden-fanout"
    namespace = local.runner_ns
    labels    = merge(local.runner_labels, { "app.kubernetes.io/component" = "fanout" })
  }
  spec {
    schedule = var.runner.schedule
    # A slow tick is never overlapped by the next one.
    concurrency_policy            = "Forbid"
    starting_deadline_seconds     = 300
    successful_jobs_history_limit = 3
    failed_jobs_history_limit     = 3

    job_template {
      metadata {
        labels = merge(local.runner_labels, { "app.kubernetes.io/component" = "fanout" })
      }
      spec {
        backoff_limit              = 0
        active_deadline_seconds    = 600
        ttl_seconds_after_finished = 86400

        template {
          metadata {
            labels = merge(local.runner_labels, { "app.kubernetes.io/component" = "fanout" })
            annotations = {
              # A changed config rolls into the next tick's pod and node Jobs.
              "imagewarden.io/config-sha256" = sha256(local.runner_yaml)
            }
          }
          spec {
            service_account_name = kubernetes_service_account_v1.fanout[0].metadata[0].name
            restart_policy       = "Never"

            security_context {
              run_as_non_root = true
              run_as_user     = 65532
              run_as_group    = 65532
              seccomp_profile {
                type = "RuntimeDefault"
              }
            }

            container {
              name              = "fanout"
              image             = var.runner.image
              image_pull_policy = "IfNotPresent"
              args              = ["runner", "fanout", "--config", "/etc/imagewarden/runner.yaml"]

              # The fan-out reads its own Pod for the node Jobs' image (downward API).
              env {
                name = "POD_NAME"
                value_from {
                  field_ref {
                    field_path = "metadata.name"
                  }
                }
              }
              env {
                name = "POD_NAMESPACE"
                value_from {
                  field_ref {
                    field_path = "metadata.namespace"
                  }
                }
              }

              resources {
                requests = { cpu = "20m", memory = "64Mi" }
                limits   = { cpu = "200m", memory = "192Mi" }
              }

              security_context {
                privileged                 = false
                allow_privilege_escalation = false
                read_only_root_filesystem  = true
                capabilities {
                  drop = ["ALL"]
                }
              }

              volume_mount {
                name       = "config"
                mount_path = "/etc/imagewarden"
                read_only  = true
              }
            }

            volume {
              name = "config"
              config_map {
                name = kubernetes_config_map_v1.runner[0].metadata[0].name
              }
            }
          }
        }
      }
    }
  }
}
