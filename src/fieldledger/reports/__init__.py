"""Reports donors and clusters accept, built from the records, through `fieldledger.privacy`."""
