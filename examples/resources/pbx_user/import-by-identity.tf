# Terraform 1.12+: import with a configuration block, by resource identity.
# The identity is the PBX _id (24 hex digits); `terraform query` prints it
# for every extension (see the pbx_user list resource).
import {
  to = pbx_user.alice
  identity = {
    id = "603b41443e14270c550bf15a"
  }
}
