# users.tfquery.hcl: list the PBX's extensions with `terraform query` (Terraform 1.14+).
# Every filter is optional; the filters that are set must all match.

# Every extension. Terraform returns at most 100 results per list block
# unless `limit` says otherwise.
list "pbx_user" "all" {
  provider = pbx
  limit    = 1000
  config {}
}

# The enabled 2xx extensions whose name contains "desk" (any case).
list "pbx_user" "front_desks" {
  provider = pbx
  config {
    number_min    = "200"
    number_max    = "299"
    name_contains = "desk"
    active        = true
  }
}

# IAX2 extensions numbered 9…, with every attribute in the results.
list "pbx_user" "iax2_trunks" {
  provider         = pbx
  include_resource = true
  config {
    number_prefix = "9"
    user_type     = "IAX2"
  }
}
