# Secrets the functions read at run time through Secrets Manager (core/aws/secretsManagerLookup.ts).
# Only the secrets are created here: their values are set out of band, so they never enter
# the Terraform state, e.g.
#   aws secretsmanager put-secret-value --secret-id <arn> --secret-string "$(openssl rand -base64 32)"
locals {
  secret_wanted = {
    ack-hmac-key           = true
    clair-psk              = var.clair_url != null
    elasticsearch-api-key  = var.secrets.elasticsearch_api_key
    nivlheim-api-key       = var.secrets.nivlheim_api_key
    registry-docker-config = var.secrets.registry_docker_config
  }
  secret_descriptions = {
    ack-hmac-key           = "HMAC key signing one-click acknowledgement links (notify.ack.hmacKey): 32+ random bytes, base64."
    clair-psk              = "Clair's pre-shared key, base64 as in Clair's config (scan.clair.psk)."
    elasticsearch-api-key  = "Elasticsearch API key, encoded form (inventory.elasticsearch.apiKey)."
    nivlheim-api-key       = "Nivlheim API key (owners.nivlheim.apiKey)."
    registry-docker-config = "Docker config.json with `auths` for private registries (what registry.dockerConfig names locally)."
  }
}

resource "aws_secretsmanager_secret" "this" {
  for_each                = { for name, wanted in local.secret_wanted : name => local.secret_descriptions[name] if wanted }
  name                    = "${var.name}/${each.key}"
  description             = each.value
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.secret_recovery_window_days
  tags                    = local.tags
}
