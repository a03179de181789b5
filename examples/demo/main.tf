# Configuration for `make demo` (internal/cmd/demo). The demo starts the mock PBX,
# points Terraform at the freshly built provider through dev_overrides and sets
# PBX_ENDPOINT, PBX_USERNAME, PBX_PASSWORD and PBX_API_KEY for it.
#
# DEMO ONLY: the SIP secrets below are literals because they only ever reach the
# local mock. With a real PBX, pass secrets in through sensitive variables or a
# secret manager, and never commit them.

terraform {
  required_version = ">= 1.11"

  required_providers {
    pbx = {
      source = "pbx-iac/pbx"
    }
  }
}

# Every setting comes from the PBX_* environment variables. The directory API
# (2N intercom) defaults to the same endpoint and credentials, which is what
# the mock serves.
provider "pbx" {}

locals {
  # One pbx_user per entry, keyed by a short handle. Attributes left out get
  # the PBX defaults (SIP, active, no recording, rfc2833, ...).
  users = {
    alice = {
      number = "201"
      name   = "Alice"
      secret = "demo-only-secret-201" # DEMO ONLY
      email  = "alice@example.com"
    }
    bob = {
      number      = "202"
      name        = "Bob"
      secret      = "demo-only-secret-202" # DEMO ONLY
      call_record = true
      dtmfmode    = "info"
      nat         = "force_rport,comedia"
      call_limit  = 2
      forward_policy = {
        busy      = "201"
        no_answer = "201"
      }
    }
    carol = {
      number    = "203"
      name      = "Carol (softphone, IAX2)"
      secret    = "demo-only-secret-203" # DEMO ONLY
      user_type = "IAX2"
      port      = 4569
      transfer  = true
      permit    = "192.168.0.0/255.255.0.0"
      deny      = "0.0.0.0/0.0.0.0"
    }
  }
}

resource "pbx_user" "staff" {
  for_each = local.users

  number = each.value.number
  name   = each.value.name
  secret = each.value.secret

  # try(..., null) leaves an attribute unset, so the provider's default applies.
  user_type   = try(each.value.user_type, null)
  email       = try(each.value.email, null)
  call_record = try(each.value.call_record, null)
  dtmfmode    = try(each.value.dtmfmode, null)
  nat         = try(each.value.nat, null)
  port        = try(each.value.port, null)
  call_limit  = try(each.value.call_limit, null)
  transfer    = try(each.value.transfer, null)
  permit      = try(each.value.permit, null)
  deny        = try(each.value.deny, null)

  forward_policy = try(each.value.forward_policy, null) == null ? null : {
    busy        = try(each.value.forward_policy.busy, "")
    no_answer   = try(each.value.forward_policy.no_answer, "")
    unavailable = try(each.value.forward_policy.unavailable, "")
    all         = try(each.value.forward_policy.all, "")
  }
}

# The reception entry of the intercom directory (seeded in seed.json). Data
# sources are read on every plan, so a rename on the device shows up there.
data "pbx_directory_entry" "reception" {
  uuid = "01234567-89AB-CDEF-0123-456789ABCDEF"
}

# The reception desk phone is linked to the directory entry: its name and
# e-mail follow the entry, so renaming the entry on the intercom plans an
# update of this extension.
resource "pbx_user" "reception_phone" {
  number         = "200"
  secret         = "demo-only-secret-200" # DEMO ONLY
  directory_uuid = data.pbx_directory_entry.reception.uuid
}

# A directory entry managed in code: the provider creates it on the intercom
# (under a uuid derived from its arguments, so an interrupted apply repeated
# makes no twin), and a refresh finds any change to it by its timestamp.
resource "pbx_directory_entry" "lobby" {
  name     = "Lobby"
  email    = "lobby@example.com"
  treepath = "/Common"
  owner    = "pbx-demo" # the team's entries; see the resource docs for bulk cleanup by owner

  call_positions = [
    { peer = "sip:204@127.0.0.1" },
    { peer = "sip:201@127.0.0.1", grouped = true },
    {},
  ]

  access = {
    pin = "2468" # DEMO ONLY
  }
}

# The lobby phone follows the managed entry: both are created in one apply,
# and the extension takes its name and e-mail from the new entry.
resource "pbx_user" "lobby_phone" {
  number         = "204"
  secret         = "demo-only-secret-204" # DEMO ONLY
  directory_uuid = pbx_directory_entry.lobby.uuid
}

# What this configuration claims: every extension from 200 to 299 and every
# directory entry owned by "pbx-demo". Whatever the devices hold there that no
# resource manages (an extension made in the web panel, say) is reported: by
# the check below, as a warning in every plan, and by
# examples/gitops/drift-check.sh (exit 3) with the command that imports it.
data "pbx_users" "claimed" {
  number_min = "200"
  number_max = "299"
}

data "pbx_directory_entries" "claimed" {
  owner = "pbx-demo"
}

locals {
  # Every pbx_user and pbx_directory_entry of this configuration (adopted.tf
  # lists the adopted users; add module outputs here when users are managed
  # in modules too).
  managed_numbers = concat([for u in pbx_user.staff : u.number], [pbx_user.reception_phone.number, pbx_user.lobby_phone.number], local.adopted_numbers)
  managed_entries = [upper(pbx_directory_entry.lobby.uuid)]

  unmanaged_users   = [for n, u in data.pbx_users.claimed.users : "${n} ${jsonencode(u.name)}" if !contains(local.managed_numbers, n)]
  unmanaged_entries = [for id, e in data.pbx_directory_entries.claimed.entries : "${id} ${jsonencode(e.name)}" if !contains(local.managed_entries, upper(id))]
}

check "nothing_unmanaged" {
  assert {
    condition     = length(local.unmanaged_users) == 0
    error_message = "Extensions in 200-299 that no pbx_user manages: ${join(", ", local.unmanaged_users)}. Adopt each with a pbx_user block and terraform import 'pbx_user.NAME' number:NNN, or delete it in the PBX panel."
  }

  assert {
    condition     = length(local.unmanaged_entries) == 0
    error_message = "Directory entries of owner pbx-demo that no pbx_directory_entry manages: ${join(", ", local.unmanaged_entries)}. Adopt each with a pbx_directory_entry block and terraform import 'pbx_directory_entry.NAME' UUID, or delete it on the intercom."
  }
}

output "user_ids" {
  description = "PBX _id of each extension, by number."
  value = merge({ for u in pbx_user.staff : u.number => u.id }, {
    (pbx_user.reception_phone.number) = pbx_user.reception_phone.id
    (pbx_user.lobby_phone.number)     = pbx_user.lobby_phone.id
  })
}

output "lobby" {
  description = "The directory entry managed in code and the extension that follows it."
  value = {
    uuid       = pbx_directory_entry.lobby.uuid
    timestamp  = pbx_directory_entry.lobby.timestamp
    phone_name = pbx_user.lobby_phone.name
  }
}

output "reception" {
  description = "The reception directory entry: name, change counter and series."
  value = {
    name           = data.pbx_directory_entry.reception.name
    email          = data.pbx_directory_entry.reception.email
    timestamp      = data.pbx_directory_entry.reception.timestamp
    series         = data.pbx_directory_entry.reception.series
    call_positions = [for p in data.pbx_directory_entry.reception.call_positions : p.peer]
  }
}
