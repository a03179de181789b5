# Terraform 1.10+ (OpenTofu 1.11+): read a directory entry without storing
# anything of it in the plan or the state.
ephemeral "pbx_directory_entry" "door" {
  uuid                = "01234567-89AB-CDEF-0123-456789ABCDEF"
  fields              = ["access.pin"]
  include_credentials = true
}

# The entry's PIN as the write-only secret of the door phone's extension
# (Terraform 1.11+): it reaches the PBX, and neither the plan nor the state.
resource "pbx_user" "door" {
  number            = "700"
  name              = "Front door"
  secret_wo         = jsondecode(ephemeral.pbx_directory_entry.door.credentials_json).pin
  secret_wo_version = 1
}
