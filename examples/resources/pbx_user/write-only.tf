# Terraform 1.11+: the secret is write-only. It is sent to the PBX but never
# stored in the plan or the state. Here it comes from an ephemeral variable
# (Terraform 1.10+), which Terraform also keeps out of saved plan files:
#   TF_VAR_bob_sip_secret=... terraform apply
variable "bob_sip_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "pbx_user" "bob" {
  number    = "532"
  name      = "Bob"
  secret_wo = var.bob_sip_secret
  # Terraform cannot see a write-only value change: change the version to
  # send a new secret.
  secret_wo_version = 1
}
