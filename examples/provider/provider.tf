terraform {
  required_providers {
    pbx = {
      source = "pbx-iac/pbx"
    }
  }
}

# Simplest form: everything from the environment
# (PBX_ENDPOINT, PBX_USERNAME, PBX_PASSWORD, PBX_API_KEY, ...).
provider "pbx" {}

# Explicit form, with the intercom directory on its own host.
variable "pbx_password" {
  type      = string
  sensitive = true
}

variable "pbx_api_key" {
  type      = string
  sensitive = true
}

variable "intercom_password" {
  type      = string
  sensitive = true
}

variable "site_ca_pem" {
  description = "PEM CA certificate of the site's private CA."
  type        = string
}

provider "pbx" {
  alias = "site_a"

  # The Simotel PBX; the provider appends /api/v4/... itself.
  endpoint  = "https://pbx.example.com"
  username  = "terraform"
  password  = var.pbx_password
  api_key   = var.pbx_api_key
  auth_mode = "both" # basic, token or both; inferred from what is set when omitted

  # The 2N intercom that holds the directory. Unset values default to the PBX ones.
  directory = {
    endpoint = "https://intercom.example.com"
    username = "directory-reader"
    password = var.intercom_password
    auth     = "digest" # auto (default), digest, basic or none
  }

  ca_cert_pem     = var.site_ca_pem
  request_timeout = "30s"
  max_retries     = 5 # after HTTP 429/502/503/504 or a connection error
  retry_max_wait  = "30s"
}
