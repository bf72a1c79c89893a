"""ODK Collect and encrypted ODK forms: phones that work out of the laptop's reach.

`fieldledger.odk.crypto` opens the encrypted submissions Collect sends (and makes them, so
tests can behave as Collect) and holds each form's RSA key pair.
"""
