# Terraform 1.12+: import with a configuration block, by the entry's identity.
import {
  to = pbx_directory_entry.reception
  identity = {
    uuid = "01234567-89AB-CDEF-0123-456789ABCDEF"
  }
}

# Terraform 1.5+: or by its uuid as the import ID.
import {
  to = pbx_directory_entry.lobby
  id = "76543210-68FF-18CA-3210-FEDCBA987654"
}
