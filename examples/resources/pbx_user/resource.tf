# Minimal: number, name and secret; every other attribute takes the PBX default.
resource "pbx_user" "alice" {
  number = "530"
  name   = "Alice"
  secret = var.alice_sip_secret
}

# Full: every attribute, shown with non-default values where that makes sense.
resource "pbx_user" "reception" {
  number = "531"
  name   = "Reception desk"
  secret = var.reception_sip_secret

  user_type         = "SIP"
  active            = true
  cid_number        = "02112345678"
  call_record       = true
  push_notification = false
  email             = "reception@example.com"

  # Network and codec negotiation
  host        = "dynamic"
  port        = 5060
  nat         = "force_rport,comedia"
  deny        = "0.0.0.0/0.0.0.0"
  permit      = "10.0.0.0/255.0.0.0"
  dtmfmode    = "rfc2833"
  canreinvite = false
  directmedia = false
  qualify     = true
  type        = "friend"

  # Dial plan and groups
  context     = "main_routing"
  callgroup   = "1"
  pickupgroup = "1,3-4"
  callcounter = true
  faxdetect   = false
  call_limit  = 2

  forward_policy = {
    busy        = "532"
    no_answer   = "09120000000"
    unavailable = "532"
    all         = ""
  }

  # Extra raw Asterisk peer options, one key=value per line.
  more_options = "language=en\nallow=ulaw,alaw"
}

# IAX2 extensions may also use trunk and transfer.
resource "pbx_user" "branch_trunk" {
  number    = "590"
  name      = "Branch office"
  secret    = var.branch_iax_secret
  user_type = "IAX2"
  port      = 4569
  trunk     = true
  transfer  = true
}

variable "alice_sip_secret" {
  type      = string
  sensitive = true
}

variable "reception_sip_secret" {
  type      = string
  sensitive = true
}

variable "branch_iax_secret" {
  type      = string
  sensitive = true
}
