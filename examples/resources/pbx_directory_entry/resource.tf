# The reception desk: three call positions, and a door PIN valid for 2026.
resource "pbx_directory_entry" "reception" {
  name     = "Reception"
  email    = "reception@example.com"
  treepath = "/Staff"
  owner    = "telephony-team" # marks the entries this team manages

  call_positions = [
    { peer = "sip:200@pbx.example.com" },       # called first
    { peer = "201", grouped = true },           # rings together with the first
    { peer = "+442071234567", profiles = "1" }, # then this one, only in time profile 1
  ]

  access = {
    valid_from = "2026-01-01T00:00:00Z"
    valid_to   = "2027-01-01T00:00:00Z"
    pin        = var.reception_pin
    codes      = ["", "2580"] # switch 2 only
    # cards left out: not managed, the cards set on the intercom stay.
  }
}

# An entry whose uuid another system (an access-control database) already
# knows. Without uuid, the provider derives one from the arguments.
resource "pbx_directory_entry" "flat_12" {
  uuid     = "5D1E0C3A-7B42-4F10-9A1D-0C2B3E4F5A12"
  name     = "Flat 12"
  treepath = "/Flats"
  call_positions = [
    { peer = "sip:1012@pbx.example.com" }, {}, {},
  ]
  # No access block: the door codes set in the intercom's web page stay.
}

variable "reception_pin" {
  type      = string
  sensitive = true
}

# A PBX extension that takes its name and e-mail from the entry, planned and
# applied in the same run as the entry.
resource "pbx_user" "reception" {
  number         = "200"
  secret         = var.reception_sip_secret
  directory_uuid = pbx_directory_entry.reception.uuid
}

variable "reception_sip_secret" {
  type      = string
  sensitive = true
}
