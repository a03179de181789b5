# Read one entry of the intercom directory by its uuid.
data "pbx_directory_entry" "reception" {
  uuid = "01234567-89AB-CDEF-0123-456789ABCDEF"
}

# Restrict the read to a few fields (dotted paths select sub-fields), and
# keep what the device returned for them as JSON in fields_json.
data "pbx_directory_entry" "reception_peers" {
  uuid                = "01234567-89AB-CDEF-0123-456789ABCDEF"
  fields              = ["name", "callPos.peer"]
  include_fields_json = true
}

output "reception_name" {
  value = data.pbx_directory_entry.reception.name
}

# timestamp changes whenever the entry changes on the device; it is only
# comparable within the same series.
output "reception_version" {
  value = "${data.pbx_directory_entry.reception.series}/${data.pbx_directory_entry.reception.timestamp}"
}

output "reception_call_positions" {
  value = data.pbx_directory_entry.reception_peers.call_positions
}
