# The SES identity the notify function sends from. A domain identity outputs DKIM tokens to
# publish as CNAME records; an address identity gets a verification email. New accounts are
# in the SES sandbox (1 message/s, 200/day, verified recipients only) until production
# access is requested.
resource "aws_sesv2_email_identity" "sender" {
  email_identity = local.ses_identity
  tags           = local.tags
}
