# Terraform 1.5+: import with a configuration block, by _id or by number:<digits>.
import {
  to = pbx_user.alice
  id = "603b41443e14270c550bf15a"
}

import {
  to = pbx_user.reception
  id = "number:531"
}
