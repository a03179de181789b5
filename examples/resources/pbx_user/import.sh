# Import by the PBX _id (24 hex digits, as shown by pbx/users/search):
terraform import pbx_user.alice 603b41443e14270c550bf15a

# Or by extension number:
terraform import pbx_user.alice number:530
