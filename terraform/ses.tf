# The SES identity the notify function sends from. A domain identity outputs DKIM tokens to
# publish as CNAME records; an address identity gets a verification email. New accounts are
# in the SES sandbox (1 message/s, 200/day, verified recipients only) until production
# access is requested.
resource "aws_sesv2_email_identity" "sender" {
  email_identity = local.ses_identity
  tags           = local.tags
}

# Every message is sent through this configuration set: SES keeps reputation metrics
# (bounce and complaint rates, which decide whether the account may keep sending) and
# suppresses addresses that bounced or complained at the account level.
resource "aws_sesv2_configuration_set" "this" {
  configuration_set_name = var.name

  reputation_options {
    reputation_metrics_enabled = true
  }

  suppression_options {
    suppressed_reasons = ["BOUNCE", "COMPLAINT"]
  }

  tags = local.tags
}
