locals {
  # The people behind the extensions, by directory uuid.
  people = {
    alice = "A11CE000-0000-4000-8000-000000000001"
    bob   = "B0B00000-0000-4000-8000-000000000002"
  }
}

# Every entry in one read: one dir/get request per 1000 uuids, however many
# entries, instead of one data source (and one request) per entry.
data "pbx_directory_entries" "people" {
  uuids = values(local.people)
}

# Only the fields needed, and the door PINs in the sensitive credentials_json
# (one sensitive map beside the entries).
data "pbx_directory_entries" "door_pins" {
  uuids               = values(local.people)
  fields              = ["name", "access.pin"]
  include_credentials = true
}

output "door_pins" {
  value     = { for who, uuid in local.people : who => jsondecode(data.pbx_directory_entries.door_pins.credentials_json[uuid]).pin }
  sensitive = true
}

output "names" {
  value = { for who, uuid in local.people : who => data.pbx_directory_entries.people.entries[uuid].name }
}

# A drift check of many entries: only their timestamps go into the state
# (include_entries = false), since an apply writes the whole state again
# for every resource it changes. An entry changed when its timestamp grew.
data "pbx_directory_entries" "watched" {
  uuids           = values(local.people)
  include_entries = false
}

output "changed_after_39" {
  value = [for uuid, ts in data.pbx_directory_entries.watched.timestamps : uuid if ts > 39]
}

# Every entry changed since a reviewed point of the directory (dir/query).
# After a directory reset (another series) every entry is returned and
# resync is true.
data "pbx_directory_entries" "changed" {
  changed_since = {
    series    = "6423407687606431951"
    timestamp = 39
  }
}

output "changed_since_review" {
  value = {
    changed = keys(data.pbx_directory_entries.changed.entries)
    deleted = data.pbx_directory_entries.changed.deleted_uuids
    resync  = data.pbx_directory_entries.changed.resync
  }
}
