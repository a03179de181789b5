# The extensions 200-299, keyed by number. In a plan that also refreshes
# pbx_user resources this sends no request of its own: it reads the run's one
# users/search listing.
data "pbx_users" "sales" {
  number_min = "200"
  number_max = "299"
}

output "sales_extensions" {
  value = { for number, u in data.pbx_users.sales.users : number => u.name }
}

# Disabled IAX2 extensions whose name mentions "trunk".
data "pbx_users" "idle_trunks" {
  user_type     = "IAX2"
  active        = false
  name_contains = "trunk"
}

# Report extensions in the claimed range that no pbx_user manages, as a
# warning in every plan (examples/gitops/drift-check.sh reports them too,
# with the command that imports each).
locals {
  # pbx_user.sales: the for_each of the sales extensions (add every pbx_user
  # that may hold a number in the range, modules included).
  managed_numbers = [for u in pbx_user.sales : u.number]
  unmanaged       = [for n, u in data.pbx_users.sales.users : "${n} ${jsonencode(u.name)}" if !contains(local.managed_numbers, n)]
}

check "no_unmanaged_sales_extensions" {
  assert {
    condition     = length(local.unmanaged) == 0
    error_message = "Extensions in 200-299 that no pbx_user manages: ${join(", ", local.unmanaged)}."
  }
}
