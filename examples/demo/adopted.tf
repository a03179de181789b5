# Extensions adopted from the PBX web panel. `make demo` replaces this file
# with the pbx_user block of the extension it adopts (see main.tf's check
# "nothing_unmanaged"): list the numbers of such users here.
locals {
  adopted_numbers = []
}
