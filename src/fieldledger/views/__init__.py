"""Tables folded from the log. A cache: `rebuild` drops and refolds them."""
