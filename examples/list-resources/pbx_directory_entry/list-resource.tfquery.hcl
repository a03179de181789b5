# directory.tfquery.hcl: list the intercom's directory with `terraform query` (Terraform 1.14+).
# Every filter is optional; the filters that are set must all match.

# Every entry. Terraform returns at most 100 results per list block
# unless `limit` says otherwise.
list "pbx_directory_entry" "all" {
  provider = pbx
  limit    = 10000
  config {}
}

# The entries a team marked with its owner, in the /Staff folder and below.
list "pbx_directory_entry" "staff" {
  provider = pbx
  config {
    owner           = "telephony-team"
    treepath_prefix = "/Staff"
  }
}

# Entries whose name contains "reception" (any case), with every attribute.
list "pbx_directory_entry" "reception" {
  provider         = pbx
  include_resource = true
  config {
    name_contains = "reception"
  }
}
