# Import an existing entry by its uuid, as the intercom's directory shows it:
terraform import pbx_directory_entry.reception 01234567-89AB-CDEF-0123-456789ABCDEF
